import { createHmac } from 'node:crypto';
import { SAMPLE_REQUEST as request } from '@backchannel/testing';
import { webhookMessage, webhookSignature } from './webhook-message.js';

describe('the webhook message', () => {
  it('names the device and the request, never the auth_req_id or the client notification secrets', () => {
    expect(webhookMessage('dev_1', request)).toEqual({
      type: 'auth_request',
      deviceId: 'dev_1',
      requestId: 'req_1',
      clientName: 'Bank <b>app</b>',
      scope: ['openid', 'email'],
      bindingMessage: 'W4SX',
      expiresAt: '2026-11-21T10:05:00.000Z',
    });
  });

  it('is signed Stripe-style: t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const body = Buffer.from('{"requestId":"req_1"}');
    const expected = createHmac('sha256', 'secret-1').update('1795255200.{"requestId":"req_1"}').digest('hex');

    expect(webhookSignature('secret-1', 1795255200, body)).toBe(`t=1795255200,v1=${expected}`);
  });

  it('changes with the secret, the time and every byte of the body', () => {
    const body = Buffer.from('{"a":1}');
    const signature = webhookSignature('secret-1', 1000, body);

    expect(webhookSignature('secret-2', 1000, body)).not.toBe(signature);
    expect(webhookSignature('secret-1', 1001, body).split(',v1=')[1]).not.toBe(signature.split(',v1=')[1]);
    expect(webhookSignature('secret-1', 1000, Buffer.from('{"a":2}'))).not.toBe(signature);
  });
});
