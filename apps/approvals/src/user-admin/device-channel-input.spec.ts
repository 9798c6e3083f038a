import { DirectoryValidationError } from '@backchannel/directory';
import { parseDeviceChannelChoice } from './device-channel-input.js';

describe('parseDeviceChannelChoice', () => {
  it('defaults to the device API', () => {
    expect(parseDeviceChannelChoice({ name: 'Phone' })).toEqual({ channel: 'device-api' });
  });

  it('takes a webhook with its URL, and the Keycloak-compatible channel', () => {
    expect(
      parseDeviceChannelChoice({ name: 'Bot', channel: 'webhook', webhook_url: 'https://bot.example/hook' }),
    ).toEqual({ channel: 'webhook', webhookUrl: 'https://bot.example/hook' });
    expect(parseDeviceChannelChoice({ name: 'Desk', channel: 'keycloak-http' })).toEqual({ channel: 'keycloak-http' });
  });

  it.each([
    [{ channel: 'web-push' }, /web-push devices enrol in the authenticator/],
    [{ channel: 'sms' }, /channel must be/],
    [{ channel: 'webhook' }, /needs a webhook_url/],
    [{ channel: 'webhook', webhook_url: 42 }, /webhook_url must be a string/],
    [{ channel: 'keycloak-http', webhook_url: 'https://x.example' }, /only for the webhook channel/],
    [{ webhook_url: 'https://x.example' }, /only for the webhook channel/],
  ])('refuses %j', (input, message) => {
    expect(() => parseDeviceChannelChoice({ name: 'D', ...input })).toThrow(DirectoryValidationError);
    expect(() => parseDeviceChannelChoice({ name: 'D', ...input })).toThrow(message);
  });
});
