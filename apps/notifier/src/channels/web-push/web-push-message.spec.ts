import { SAMPLE_REQUEST as request } from '@backchannel/testing';
import { timeToLiveSeconds, webPushMessage } from './web-push-message.js';

describe('the Web Push message', () => {
  it('holds only what the notification shows: no auth_req_id, no client secrets, no subject', () => {
    expect(webPushMessage(request)).toEqual({
      requestId: 'req_1',
      clientName: 'Bank <b>app</b>',
      bindingMessage: 'W4SX',
      expiresAt: '2026-11-21T10:05:00.000Z',
    });
  });

  it('lives until the request expires, never less than 0', () => {
    expect(timeToLiveSeconds(request.expiresAt, new Date('2026-11-21T10:00:00.000Z'))).toBe(300);
    expect(timeToLiveSeconds(request.expiresAt, new Date('2026-11-21T10:04:59.500Z'))).toBe(0);
    expect(timeToLiveSeconds(request.expiresAt, new Date('2026-11-21T10:06:00.000Z'))).toBe(0);
  });
});
