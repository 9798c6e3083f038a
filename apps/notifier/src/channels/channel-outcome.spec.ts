import { channelOutcomeOf } from './channel-outcome.js';

describe('channelOutcomeOf', () => {
  it('takes any 2xx as delivered unless the contract says otherwise', () => {
    expect(channelOutcomeOf({ kind: 'delivered', status: 204 }, 'the webhook')).toEqual({ kind: 'delivered' });
    const only201 = (status: number) => status === 201;
    expect(channelOutcomeOf({ kind: 'delivered', status: 201 }, 'the channel', only201)).toEqual({ kind: 'delivered' });
    expect(channelOutcomeOf({ kind: 'delivered', status: 200 }, 'the channel', only201)).toEqual({
      kind: 'rejected',
      detail: 'the channel answered 200, which its contract does not accept',
    });
  });

  it.each([400, 401, 403, 404, 410, 413])('rejects a %i for good', (status) => {
    expect(channelOutcomeOf({ kind: 'client_error', status }, 'the webhook')).toEqual({
      kind: 'rejected',
      detail: `the webhook answered ${status}`,
    });
  });

  it.each([408, 425, 429])('retries a %i, which means "not now"', (status) => {
    expect(channelOutcomeOf({ kind: 'client_error', status }, 'the push service')).toEqual({
      kind: 'retryable',
      detail: `the push service answered ${status}`,
    });
  });

  it('never follows a redirect, and keeps refused addresses and transient failures as they are', () => {
    expect(channelOutcomeOf({ kind: 'redirect', status: 302 }, 'the webhook')).toEqual({
      kind: 'rejected',
      detail: 'the webhook answered 302; redirects are not followed',
    });
    expect(channelOutcomeOf({ kind: 'refused_address', detail: 'loopback' }, 'the webhook')).toEqual({
      kind: 'refused_address',
      detail: 'loopback',
    });
    expect(channelOutcomeOf({ kind: 'retryable', status: 502, detail: 'the endpoint answered 502' }, 'x')).toEqual({
      kind: 'retryable',
      detail: 'the endpoint answered 502',
    });
  });
});
