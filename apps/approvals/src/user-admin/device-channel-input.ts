import { z } from 'zod';
import { DirectoryValidationError } from '@backchannel/directory';

/** How an admin-registered device is notified (web-push comes only from the authenticator's enrolment). */
export type DeviceChannelChoice =
  { channel: 'device-api' } | { channel: 'webhook'; webhookUrl: string } | { channel: 'keycloak-http' };

const channelFields = z.object({
  channel: z
    .enum(['device-api', 'webhook', 'keycloak-http'], {
      error: "channel must be 'device-api', 'webhook' or 'keycloak-http' (web-push devices enrol in the authenticator)",
    })
    .default('device-api'),
  webhook_url: z.string({ error: 'webhook_url must be a string' }).max(2048, 'webhook_url is too long').optional(),
});

/**
 * The channel part of `POST /admin/v1/users/{sub}/devices`: `{ channel?, webhook_url? }` next to
 * the device's name (DeviceRegistry reads that). A webhook needs its URL; no other channel takes one.
 */
export function parseDeviceChannelChoice(input: unknown): DeviceChannelChoice {
  const parsed = channelFields.safeParse(input);
  if (!parsed.success) throw new DirectoryValidationError(parsed.error.issues[0]!.message);
  const { channel, webhook_url: webhookUrl } = parsed.data;
  if (channel === 'webhook') {
    if (webhookUrl === undefined) throw new DirectoryValidationError('a webhook device needs a webhook_url');
    return { channel, webhookUrl };
  }
  if (webhookUrl !== undefined) throw new DirectoryValidationError('webhook_url is only for the webhook channel');
  return { channel };
}
