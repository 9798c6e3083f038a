import type { AuthRequested } from '@backchannel/events';

/** A recorded request, as channels and their messages receive it (unit tests). */
export const SAMPLE_REQUEST: AuthRequested['data'] = {
  requestId: 'req_1',
  clientId: 'client-1',
  clientName: 'Bank <b>app</b>',
  subject: 'alice',
  hintKind: 'login_hint',
  scope: ['openid', 'email'],
  acrValues: ['urn:mace:incommon:iap:silver'],
  bindingMessage: 'W4SX',
  deliveryMode: 'poll',
  pollInterval: 5,
  requestedAt: '2026-11-21T10:00:00.000Z',
  expiresAt: '2026-11-21T10:05:00.000Z',
  clientNotification: { endpoint: 'https://client.example.com/cb', sealedSecrets: 'sealed' },
};
