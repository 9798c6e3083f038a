import { type DeliveryOutcome, followUp, retryAfterMs, shortDetail } from './attempt-follow-up.js';

const now = new Date('2026-12-01T10:00:00.000Z');
const deadline = new Date('2026-12-01T10:05:00.000Z');
const backoffMs = 1_000;
const answered = (status: number, retryAfter: string | null = null): DeliveryOutcome => ({
  kind: 'answered',
  status,
  retryAfter,
});
const inSeconds = (seconds: number) => new Date(now.getTime() + seconds * 1_000);

describe('followUp: the one retry table of every delivery', () => {
  it.each<[number, string | null, ReturnType<typeof followUp>]>([
    [200, null, { action: 'record', result: { delivered: true, httpStatus: 200, attempts: 2 } }],
    [201, null, { action: 'record', result: { delivered: true, httpStatus: 201, attempts: 2 } }],
    [204, null, { action: 'record', result: { delivered: true, httpStatus: 204, attempts: 2 } }],
    [
      301,
      null,
      {
        action: 'record',
        result: {
          delivered: false,
          reason: 'redirect',
          httpStatus: 301,
          attempts: 2,
          detail: 'answered 301; redirects are not followed',
        },
      },
    ],
    ...[400, 401, 403, 404, 410, 422].map((status): [number, null, ReturnType<typeof followUp>] => [
      status,
      null,
      {
        action: 'record',
        result: {
          delivered: false,
          reason: 'client_error',
          httpStatus: status,
          attempts: 2,
          detail: `answered ${status}`,
        },
      },
    ]),
    ...[408, 425, 429, 500, 502, 503, 504, 599].map((status): [number, null, ReturnType<typeof followUp>] => [
      status,
      null,
      { action: 'retry', at: inSeconds(1), lastError: `answered ${status}` },
    ]),
    [429, '30', { action: 'retry', at: inSeconds(30), lastError: 'answered 429' }],
    [503, 'Tue, 01 Dec 2026 10:02:00 GMT', { action: 'retry', at: inSeconds(120), lastError: 'answered 503' }],
    // a Retry-After shorter than the backoff, in the past or unreadable leaves the backoff
    [429, '0', { action: 'retry', at: inSeconds(1), lastError: 'answered 429' }],
    [503, 'Tue, 01 Dec 2026 09:00:00 GMT', { action: 'retry', at: inSeconds(1), lastError: 'answered 503' }],
    [503, 'soon', { action: 'retry', at: inSeconds(1), lastError: 'answered 503' }],
    // a Retry-After that reaches past the deadline ends the retries
    [
      429,
      '3600',
      {
        action: 'record',
        result: { delivered: false, reason: 'retries_exhausted', httpStatus: 429, attempts: 2, detail: 'answered 429' },
      },
    ],
  ])('answers %i (Retry-After %s)', (status, retryAfter, expected) => {
    expect(followUp(answered(status, retryAfter), 2, now, deadline, backoffMs)).toEqual(expected);
  });

  it('retries an unreachable recipient, until the next attempt would pass the deadline', () => {
    const unreachable: DeliveryOutcome = { kind: 'unreachable', detail: 'ECONNREFUSED: connect' };
    expect(followUp(unreachable, 1, now, deadline, backoffMs)).toEqual({
      action: 'retry',
      at: inSeconds(1),
      lastError: 'ECONNREFUSED: connect',
    });
    expect(followUp(unreachable, 7, new Date(deadline.getTime() - 500), deadline, backoffMs)).toEqual({
      action: 'record',
      result: {
        delivered: false,
        reason: 'retries_exhausted',
        httpStatus: null,
        attempts: 7,
        detail: 'ECONNREFUSED: connect',
      },
    });
  });

  it('ends at once on a refused address and on a channel refusal', () => {
    expect(followUp({ kind: 'refused_address', detail: 'loopback' }, 1, now, deadline, backoffMs)).toEqual({
      action: 'record',
      result: { delivered: false, reason: 'refused_address', httpStatus: null, attempts: 1, detail: 'loopback' },
    });
    expect(followUp({ kind: 'rejected', detail: 'no 201' }, 1, now, deadline, backoffMs)).toEqual({
      action: 'record',
      result: { delivered: false, reason: 'rejected', httpStatus: null, attempts: 1, detail: 'no 201' },
    });
  });

  it('keeps details short', () => {
    const next = followUp({ kind: 'unreachable', detail: 'x'.repeat(500) }, 1, now, deadline, backoffMs);
    expect(next.action === 'retry' && next.lastError.length).toBe(200);
    expect(shortDetail('short')).toBe('short');
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP-dates, and nothing else', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 5 ', now)).toBe(5_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs('-5', now)).toBeNull();
    expect(retryAfterMs('later', now)).toBeNull();
  });
});
