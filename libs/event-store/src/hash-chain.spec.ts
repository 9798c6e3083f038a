import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '@backchannel/events';
import { canonicalJson, eventHash, eventHashTemplate, verifyChain } from './hash-chain.js';

const metadata = { correlationId: 'corr-1', actor: 'client:c1', occurredAt: '2026-11-21T10:00:00.000Z' };

function chain(...datas: unknown[]): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (const [index, data] of datas.entries()) {
    const content = {
      streamId: 'auth-request-abc',
      streamVersion: index + 1,
      eventId: `00000000-0000-4000-8000-00000000000${index + 1}`,
      type: 'Something',
      schemaVersion: 1,
      data,
      metadata,
      previousHash: events.at(-1)?.hash ?? '',
    };
    events.push({
      ...content,
      globalPosition: String(100 + index),
      recordedAt: '2026-11-21T10:00:01.000Z',
      hash: eventHash(content),
    });
  }
  return events;
}

describe('canonicalJson', () => {
  it('sorts keys recursively and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'x' }], c: true } })).toBe(
      '{"a":{"c":true,"d":[3,{"y":"x","z":null}]},"b":1}',
    );
  });

  it('sorts keys by UTF-16 code units, as RFC 8785', () => {
    expect(canonicalJson({ é: 1, z: 2, Z: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"Z":3,"z":2,"é":1}');
  });
});

describe('eventHash', () => {
  const input = chain({ scope: ['openid'] })[0];

  it('is the SHA-256 of the canonical JSON of the hashed fields', () => {
    expect(eventHash(input)).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash(input)).toBe(eventHash({ ...input, globalPosition: '999', recordedAt: 'later' } as RecordedEvent));
  });

  it('does not depend on key order', () => {
    expect(eventHash({ ...input, data: { b: 2, a: 1 } })).toBe(eventHash({ ...input, data: { a: 1, b: 2 } }));
  });

  it('hashes values as jsonb returns them (undefined members dropped)', () => {
    expect(eventHash({ ...input, data: { a: 1, gone: undefined } })).toBe(eventHash({ ...input, data: { a: 1 } }));
  });

  it('changes with any hashed field', () => {
    const original = eventHash(input);
    expect(eventHash({ ...input, data: { scope: ['openid', 'email'] } })).not.toBe(original);
    expect(eventHash({ ...input, streamVersion: 2 })).not.toBe(original);
    expect(eventHash({ ...input, previousHash: 'f'.repeat(64) })).not.toBe(original);
    expect(eventHash({ ...input, metadata: { ...metadata, actor: 'admin' } })).not.toBe(original);
  });
});

describe('eventHashTemplate', () => {
  it('splits the canonical JSON around the previous hash and the stream version', () => {
    const { streamId, streamVersion, eventId, type, schemaVersion, data, previousHash } = chain({}, { n: 'x"y' })[1];
    const template = eventHashTemplate({ streamId, eventId, type, schemaVersion, data, metadata });
    const hashed = { streamId, streamVersion, eventId, type, schemaVersion, data, metadata, previousHash };
    expect(`${template.head}${previousHash}${template.middle}${streamVersion}${template.tail}`).toBe(
      canonicalJson(hashed),
    );
  });
});

describe('verifyChain', () => {
  const events = chain({ step: 1 }, { step: 2 }, { step: 3 });

  it('accepts an intact chain', () => {
    expect(verifyChain(events)).toEqual({ valid: true, length: 3 });
    expect(verifyChain([])).toEqual({ valid: true, length: 0 });
  });

  it('detects a changed data field', () => {
    const tampered = events.map((event) => (event.streamVersion === 2 ? { ...event, data: { step: 20 } } : event));
    expect(verifyChain(tampered)).toMatchObject({
      valid: false,
      brokenAtVersion: 2,
      reason: expect.stringContaining('hash'),
    });
  });

  it('detects reordered events', () => {
    expect(verifyChain([events[0], events[2], events[1]])).toMatchObject({ valid: false, brokenAtVersion: 2 });
  });

  it('detects reordered events renumbered to look in sequence', () => {
    const renumbered = [events[0], { ...events[2], streamVersion: 2 }, { ...events[1], streamVersion: 3 }];
    expect(verifyChain(renumbered)).toMatchObject({ valid: false, brokenAtVersion: 2 });
  });

  it('detects a broken previous-hash link, even when the broken event was re-hashed', () => {
    const relinked = { ...events[2], previousHash: 'a'.repeat(64) };
    const rehashed = { ...relinked, hash: eventHash(relinked) };
    expect(verifyChain([events[0], events[1], rehashed])).toMatchObject({
      valid: false,
      brokenAtVersion: 3,
      reason: expect.stringContaining('previous hash'),
    });
  });

  it('detects a removed event', () => {
    expect(verifyChain([events[0], events[2]])).toMatchObject({ valid: false, brokenAtVersion: 2 });
  });
});
