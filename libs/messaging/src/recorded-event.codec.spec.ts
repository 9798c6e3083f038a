import { UnknownEventVersionError } from '@backchannel/events';
import { EventHeaders, MalformedEventError, decodeRecordedEvent, toEventMessage } from './recorded-event.codec.js';
import { recordedEventFixture } from './recorded-event.fixture.js';

describe('toEventMessage', () => {
  const event = recordedEventFixture();
  const message = toEventMessage(event);

  it('keys the message by stream id, so a stream stays on one partition', () => {
    expect(message.key).toBe(event.streamId);
  });

  it('carries the event id, type, schema version and correlation id in headers', () => {
    expect(message.headers).toEqual({
      [EventHeaders.eventId]: event.eventId,
      [EventHeaders.eventType]: 'UserNotified',
      [EventHeaders.schemaVersion]: '1',
      [EventHeaders.correlationId]: event.metadata.correlationId,
    });
  });

  it('round-trips through decodeRecordedEvent', () => {
    expect(decodeRecordedEvent(message.value)).toEqual(event);
    expect(decodeRecordedEvent(Buffer.from(message.value))).toEqual(event);
    expect(decodeRecordedEvent(JSON.parse(message.value))).toEqual(event);
  });
});

describe('toEventMessage of an event holding credentials', () => {
  const registered = {
    ...recordedEventFixture(),
    type: 'ClientRegistered',
    streamId: 'client-c1',
    data: {
      clientId: 'c1',
      metadata: { client_name: 'Bank' },
      secretSha256: 'a'.repeat(64),
      sealedSecret: 'eyJhbGciOiJkaXIi.sealed',
      registeredAt: '2026-12-06T00:00:00.000Z',
    },
  };
  const message = toEventMessage(registered as never);

  it('withholds the secret digest and the sealed secret, and says so in a header', () => {
    const published = JSON.parse(message.value) as { data: Record<string, unknown> };
    expect(published.data).toEqual({
      clientId: 'c1',
      metadata: { client_name: 'Bank' },
      registeredAt: '2026-12-06T00:00:00.000Z',
    });
    expect(message.value).not.toContain('a'.repeat(64));
    expect(message.value).not.toContain('sealed');
    expect(message.headers[EventHeaders.withheld]).toBe('secretSha256,sealedSecret');
  });

  it('leaves the event in the store as it was', () => {
    expect(registered.data.secretSha256).toBe('a'.repeat(64));
  });
});

describe('decodeRecordedEvent', () => {
  it('rejects a value that is not JSON', () => {
    expect(() => decodeRecordedEvent('not json')).toThrow(MalformedEventError);
  });

  it('rejects JSON that is not a recorded event', () => {
    const { streamId: _dropped, ...withoutStream } = recordedEventFixture();
    expect(() => decodeRecordedEvent(withoutStream)).toThrow(MalformedEventError);
    expect(() => decodeRecordedEvent(null)).toThrow(MalformedEventError);
    expect(() => decodeRecordedEvent({ ...recordedEventFixture(), globalPosition: 12 })).toThrow(MalformedEventError);
  });

  it('rejects an event version this code cannot upcast', () => {
    expect(() => decodeRecordedEvent(recordedEventFixture({ schemaVersion: 9 }))).toThrow(UnknownEventVersionError);
    expect(() => decodeRecordedEvent(recordedEventFixture({ type: 'SomethingElse' }))).toThrow(
      UnknownEventVersionError,
    );
  });
});
