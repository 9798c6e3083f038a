import { Injectable } from '@nestjs/common';
import type { Consumer } from 'kafkajs';

export type ConsumerHealthStatus = { status: 'ok' } | { status: 'unavailable'; reason: string };

/** What a watched consumer last showed, from its instrumentation events. */
type ConsumerState =
  | { kind: 'joining' }
  | { kind: 'consuming'; lastFetchAt: number }
  | { kind: 'crashed'; error: string }
  | { kind: 'stopped' };

/**
 * Whether this process's Kafka consumer consumes: in its group, with a successful fetch within its
 * session timeout (after which the broker would have dropped a member that stopped heartbeating).
 * HTTP readiness does not depend on it (serving HTTP needs no Kafka); it is a signal of its own
 * (/health/consumer). A process without a Kafka consumer is always ok.
 */
@Injectable()
export class ConsumerHealth {
  private watched?: { state: ConsumerState; sessionTimeoutMs: number };

  /** Follows `consumer` from before it connects; one consumer per process. */
  watch(consumer: Consumer, sessionTimeoutMs: number): void {
    const watched: { state: ConsumerState; sessionTimeoutMs: number } = {
      state: { kind: 'joining' },
      sessionTimeoutMs,
    };
    this.watched = watched;
    const { events } = consumer;
    // joining counts as a fetch: the first one may wait up to the fetch's maxWait for data
    consumer.on(events.GROUP_JOIN, ({ timestamp }) => (watched.state = { kind: 'consuming', lastFetchAt: timestamp }));
    consumer.on(events.FETCH, ({ timestamp }) => {
      if (watched.state.kind === 'consuming') watched.state = { kind: 'consuming', lastFetchAt: timestamp };
    });
    consumer.on(events.CRASH, ({ payload }) => (watched.state = { kind: 'crashed', error: payload.error.message }));
    consumer.on(events.DISCONNECT, () => (watched.state = { kind: 'stopped' }));
    consumer.on(events.STOP, () => (watched.state = { kind: 'stopped' }));
  }

  status(now = Date.now()): ConsumerHealthStatus {
    if (!this.watched) return { status: 'ok' };
    const { state, sessionTimeoutMs } = this.watched;
    switch (state.kind) {
      case 'joining':
        return { status: 'unavailable', reason: 'the consumer has not joined its group' };
      case 'consuming': {
        const silentMs = now - state.lastFetchAt;
        return silentMs <= sessionTimeoutMs
          ? { status: 'ok' }
          : {
              status: 'unavailable',
              reason: `no successful fetch for ${silentMs} ms (session timeout ${sessionTimeoutMs} ms)`,
            };
      }
      case 'crashed':
        return { status: 'unavailable', reason: `the consumer crashed: ${state.error}` };
      case 'stopped':
        return { status: 'unavailable', reason: 'the consumer is stopped' };
      default: {
        const unexpected: never = state;
        throw new Error(`unexpected consumer state ${JSON.stringify(unexpected)}`);
      }
    }
  }
}
