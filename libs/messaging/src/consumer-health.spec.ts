import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { ConsumerHealth } from './consumer-health.js';

const events = {
  GROUP_JOIN: 'consumer.group_join',
  FETCH: 'consumer.fetch',
  CRASH: 'consumer.crash',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
} as const;

/** A stand-in for a kafkajs consumer: only its instrumentation events. */
function watchedConsumer(sessionTimeoutMs = 10_000) {
  const emitter = new EventEmitter();
  const health = new ConsumerHealth();
  health.watch({ events, on: emitter.on.bind(emitter) } as unknown as Consumer, sessionTimeoutMs);
  const emit = (type: keyof typeof events, timestamp: number, payload: unknown = {}) =>
    emitter.emit(events[type], { id: 0, type: events[type], timestamp, payload });
  return { health, emit };
}

describe('ConsumerHealth', () => {
  it('is ok in a process without a Kafka consumer', () => {
    expect(new ConsumerHealth().status()).toEqual({ status: 'ok' });
  });

  describe('when joining', () => {
    it('is unavailable until the consumer is in its group', () => {
      const { health, emit } = watchedConsumer();
      expect(health.status(1_000)).toEqual({ status: 'unavailable', reason: 'the consumer has not joined its group' });
      emit('FETCH', 1_000);
      expect(health.status(1_000).status).toBe('unavailable');
      emit('GROUP_JOIN', 2_000);
      expect(health.status(2_000)).toEqual({ status: 'ok' });
    });
  });

  describe('when consuming', () => {
    it('is ok while a fetch succeeded within the session timeout, unavailable after', () => {
      const { health, emit } = watchedConsumer(10_000);
      emit('GROUP_JOIN', 0);
      emit('FETCH', 5_000);
      expect(health.status(15_000)).toEqual({ status: 'ok' });
      expect(health.status(15_001)).toEqual({
        status: 'unavailable',
        reason: 'no successful fetch for 10001 ms (session timeout 10000 ms)',
      });
      emit('FETCH', 16_000);
      expect(health.status(16_000)).toEqual({ status: 'ok' });
    });

    it('is unavailable once crashed, until it joins again', () => {
      const { health, emit } = watchedConsumer();
      emit('GROUP_JOIN', 0);
      emit('CRASH', 1_000, { error: new Error('Connection error: ECONNREFUSED'), groupId: 'g', restart: true });
      expect(health.status(1_000)).toEqual({
        status: 'unavailable',
        reason: 'the consumer crashed: Connection error: ECONNREFUSED',
      });
      emit('FETCH', 1_500);
      expect(health.status(1_500).status).toBe('unavailable');
      emit('GROUP_JOIN', 2_000);
      expect(health.status(2_000)).toEqual({ status: 'ok' });
    });

    it.each(['STOP', 'DISCONNECT'] as const)('is unavailable after %s', (type) => {
      const { health, emit } = watchedConsumer();
      emit('GROUP_JOIN', 0);
      emit(type, 1_000);
      expect(health.status(1_000)).toEqual({ status: 'unavailable', reason: 'the consumer is stopped' });
    });
  });
});
