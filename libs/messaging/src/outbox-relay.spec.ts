import { Topics } from '@backchannel/events';
import { produceRequests } from './outbox-relay.service.js';
import { recordedEventFixture } from './recorded-event.fixture.js';

describe('the relay splits a batch into produce requests', () => {
  const events = Array.from({ length: 10 }, (_, index) => recordedEventFixture({ globalPosition: String(index + 1) }));
  const sizeOf = (event: (typeof events)[number]) =>
    Buffer.byteLength(event.streamId) + Buffer.byteLength(JSON.stringify(event));
  const positions = (requests: ReturnType<typeof produceRequests>) =>
    requests.map((request) =>
      request.flatMap(({ messages }) => messages.map((m) => JSON.parse(m.value).globalPosition)),
    );

  it('sends a batch that fits in one request', () => {
    const requests = produceRequests(events, 10 * 1024 * 1024);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toEqual([{ topic: Topics.authRequests, messages: expect.any(Array) }]);
    expect(positions(requests)).toEqual([events.map((event) => event.globalPosition)]);
  });

  it('keeps each request under the limit and the events in log order', () => {
    const limit = sizeOf(events[0]!) * 3 + 10;
    const requests = produceRequests(events, limit);
    expect(requests.length).toBeGreaterThan(1);
    expect(positions(requests).flat()).toEqual(events.map((event) => event.globalPosition));
    for (const request of requests) {
      const bytes = request
        .flatMap(({ messages }) => messages)
        .reduce((sum, m) => sum + m.key.length + m.value.length, 0);
      expect(bytes).toBeLessThanOrEqual(limit);
    }
  });

  it('sends an event larger than the limit alone', () => {
    expect(produceRequests(events.slice(0, 2), 10)).toHaveLength(2);
  });
});
