import { jest } from '@jest/globals';
import { Topics, UnknownEventVersionError } from '@backchannel/events';
import { KafkaRetriableException } from '@nestjs/microservices';
import { type DeadLetter, DeadLetters } from './dead-letters.js';
import { EventBatch } from './event-batch.js';
import { EventHandlerRunner, type HandlerRetryPolicy } from './event-handler.runner.js';
import { EventHeaders } from './recorded-event.codec.js';
import { recordedEventFixture } from './recorded-event.fixture.js';

const policy: HandlerRetryPolicy = {
  transientAttempts: 3,
  unexpectedAttempts: 2,
  backoff: { initialDelayMs: 1, maxDelayMs: 2 },
};

const event = recordedEventFixture();

class RecordedDeadLetters extends DeadLetters {
  readonly letters: DeadLetter[] = [];
  failWith: Error | null = null;

  async record(letter: DeadLetter): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.letters.push(letter);
  }
}

/** Work that fails with the given errors, one per call, then succeeds. */
function failingWith(...errors: unknown[]) {
  const work = jest.fn(async () => {
    const error = errors.shift();
    if (error !== undefined) throw error;
  });
  return work;
}

const connectionRefused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('EventHandlerRunner', () => {
  let deadLetters: RecordedDeadLetters;
  let runner: EventHandlerRunner;

  beforeEach(() => {
    deadLetters = new RecordedDeadLetters();
    runner = new EventHandlerRunner(deadLetters, policy);
  });

  it('runs the work once when it succeeds', async () => {
    const work = failingWith();
    await runner.run(event, 'notifier', work);
    expect(work).toHaveBeenCalledTimes(1);
    expect(deadLetters.letters).toEqual([]);
  });

  describe('when a failure is transient', () => {
    it('retries until the work succeeds', async () => {
      const work = failingWith(connectionRefused, connectionRefused);
      await runner.run(event, 'notifier', work);
      expect(work).toHaveBeenCalledTimes(3);
      expect(deadLetters.letters).toEqual([]);
    });

    it('asks the transport to redeliver once the attempts are used up, and dead-letters nothing', async () => {
      const work = failingWith(connectionRefused, connectionRefused, connectionRefused);
      await expect(runner.run(event, 'notifier', work)).rejects.toBeInstanceOf(KafkaRetriableException);
      expect(work).toHaveBeenCalledTimes(3);
      expect(deadLetters.letters).toEqual([]);
    });
  });

  describe('when the message is poison', () => {
    it('dead-letters it at once with the event as the message, and returns', async () => {
      const work = failingWith(new UnknownEventVersionError('UserNotified', 9));
      await runner.run(event, 'notifier', work);
      expect(work).toHaveBeenCalledTimes(1);
      expect(deadLetters.letters).toHaveLength(1);
      const [letter] = deadLetters.letters;
      expect(letter).toMatchObject({ topic: Topics.authRequests, consumerGroup: 'notifier', kind: 'poison' });
      expect(letter!.key).toBe(event.streamId);
      expect(JSON.parse(String(letter!.value))).toEqual(event);
      expect(letter!.headers).toMatchObject({
        [EventHeaders.eventId]: event.eventId,
        [EventHeaders.eventType]: event.type,
      });
    });

    it('asks for redelivery when the dead letter cannot be written', async () => {
      deadLetters.failWith = new Error('database down');
      const work = failingWith(new UnknownEventVersionError('UserNotified', 9));
      await expect(runner.run(event, 'notifier', work)).rejects.toBeInstanceOf(KafkaRetriableException);
    });
  });

  describe('when a failure is unexpected', () => {
    it('retries, then dead-letters the message if it keeps failing', async () => {
      const work = failingWith(new TypeError('x is undefined'), new TypeError('x is undefined'));
      await runner.run(event, 'notifier', work);
      expect(work).toHaveBeenCalledTimes(2);
      expect(deadLetters.letters.map((letter) => letter.kind)).toEqual(['unexpected']);
    });

    it('does not dead-letter a message that succeeds on a retry', async () => {
      const work = failingWith(new TypeError('x is undefined'));
      await runner.run(event, 'notifier', work);
      expect(deadLetters.letters).toEqual([]);
    });

    it('counts only unexpected failures towards a dead letter, not those of an outage', async () => {
      const work = failingWith(connectionRefused, new TypeError('x is undefined'), connectionRefused);
      await runner.run(event, 'notifier', work);
      expect(work).toHaveBeenCalledTimes(4);
      expect(deadLetters.letters).toEqual([]);
    });
  });

  describe('runTogether', () => {
    const events = [recordedEventFixture(), recordedEventFixture(), recordedEventFixture()];

    it('works on all of a batch at once, and marks every event finished', async () => {
      const batch = new EventBatch(events);
      const calls: string[][] = [];
      await runner.runTogether(batch, 'ping-delivery', async (some) => {
        calls.push(some.map((e) => e.eventId));
      });
      expect(calls).toEqual([events.map((e) => e.eventId)]);
      expect(events.every((e) => batch.isDone(e))).toBe(true);
    });

    it('after a failure together, handles each event alone: the poison one is dead-lettered, the rest done', async () => {
      const poison = events[1]!;
      const batch = new EventBatch(events);
      const calls: string[][] = [];
      await runner.runTogether(batch, 'ping-delivery', async (some) => {
        calls.push(some.map((e) => e.eventId));
        if (some.includes(poison)) throw new UnknownEventVersionError('UserNotified', 9);
      });
      expect(calls[0]).toHaveLength(3);
      expect(calls.slice(1).sort()).toEqual(events.map((e) => [e.eventId]).sort());
      expect(deadLetters.letters.map((letter) => letter.headers[EventHeaders.eventId])).toEqual([poison.eventId]);
      expect(events.every((e) => batch.isDone(e))).toBe(true);
    });
  });
});
