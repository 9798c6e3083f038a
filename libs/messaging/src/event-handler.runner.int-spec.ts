import { randomUUID } from 'node:crypto';
import { EventStoreModule, createDataSource } from '@backchannel/event-store';
import { type RecordedEvent, Topics, UnknownEventVersionError } from '@backchannel/events';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import type { Producer } from 'kafkajs';
import { sharedMetricsRegistry } from '@backchannel/observability';
import type { DataSource } from 'typeorm';
import { DeadLetterStore, type StoredDeadLetter } from './dead-letter.store.js';
import { EventHandlerRunner } from './event-handler.runner.js';
import { createTopics, databaseUrl, eventually, sharedBrokers, testKafka } from './integration.fixture.js';
import { MessagingModule } from './messaging.module.js';
import type { EventBatch } from './event-batch.js';
import { ConsumerHandler, eventConsumer } from './event-consumer.js';
import { kafkaConsumerOptions } from './recorded-event.kafka-server.js';
import { EventHeaders, toEventMessage } from './recorded-event.codec.js';
import { recordedEventFixture } from './recorded-event.fixture.js';

const topic = `messaging-it-runner-${randomUUID()}`;
const consumerGroup = `messaging-it-${randomUUID()}`;
const consumer = eventConsumer(consumerGroup, topic, ['UserNotified']);

/** What the handler's work does for each event, by event id (nothing: succeed). */
const behaviours = new Map<string, () => Promise<void>>();
/** How often each event was handed to the handler (in a batch), and the order they were finished in. */
const deliveries = new Map<string, number>();
const completed = new Set<string>();
const completionOrder: string[] = [];

@Controller()
class ScriptedController {
  constructor(private readonly runner: EventHandlerRunner) {}

  @ConsumerHandler(consumer)
  async handle(@Payload() batch: EventBatch): Promise<void> {
    for (const event of batch.events) deliveries.set(event.eventId, (deliveries.get(event.eventId) ?? 0) + 1);
    await this.runner.runLanes(batch, consumerGroup, async (event) => {
      await behaviours.get(event.eventId)?.();
      completed.add(event.eventId);
      completionOrder.push(event.eventId);
    });
  }
}

@Module({
  imports: [
    EventStoreModule.forRoot({ databaseUrl: databaseUrl(), runMigrations: false }),
    MessagingModule.forKafka({
      brokers: sharedBrokers(),
      clientId: 'messaging-it',
      relay: false,
      handlerRetryPolicy: {
        transientAttempts: 2,
        unexpectedAttempts: 2,
        backoff: { initialDelayMs: 10, maxDelayMs: 50 },
      },
    }),
  ],
  controllers: [ScriptedController],
})
class ScriptedModule {}

/** Fails with the given error `times` times, then succeeds. */
function failTimes(times: number, error: () => unknown): () => Promise<void> {
  let failures = 0;
  return async () => {
    if (failures < times) {
      failures += 1;
      throw error();
    }
  };
}

const connectionRefused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('EventHandlerRunner and dead letters over Kafka', () => {
  let app: INestMicroservice;
  let producer: Producer;
  let dataSource: DataSource;
  let deadLetters: DeadLetterStore;

  beforeAll(async () => {
    await createTopics(sharedBrokers(), [topic]);
    dataSource = await createDataSource(databaseUrl(), { poolSize: 2 }).initialize();
    deadLetters = new DeadLetterStore(dataSource);
    producer = testKafka(sharedBrokers()).producer();
    await producer.connect();
    app = await NestFactory.createMicroservice(ScriptedModule, {
      ...kafkaConsumerOptions({
        brokers: sharedBrokers(),
        clientId: 'messaging-it',
        consumer,
        deadLetters,
        deadLetterRetryIntervalMs: 100,
      }),
      logger: ['error'],
    });
    await app.listen();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await dataSource?.destroy();
  }, 60_000);

  /** This group's dead letters, oldest first. */
  const letters = (): Promise<StoredDeadLetter[]> => deadLetters.list({ consumerGroup, limit: 100 });
  const letterOf = async (eventId: string) =>
    (await letters()).filter((letter) => letter.headers[EventHeaders.eventId] === eventId);

  const publish = (event: RecordedEvent) =>
    producer.send({ topic, messages: [{ ...toEventMessage(event), partition: 0 }] });

  it('a message that is not a recorded event is dead-lettered with its headers and place, and the next one is handled', async () => {
    const next = recordedEventFixture();
    await producer.send({
      topic,
      messages: [
        { key: 'some-key', value: 'not json', headers: { traceparent: 'trace-1' }, partition: 0 },
        { ...toEventMessage(next), partition: 0 },
      ],
    });

    await eventually('the next message was handled', () => completed.has(next.eventId));
    const [deadLetter] = (await letters()).filter((letter) => letter.key === 'some-key');
    expect(deadLetter).toMatchObject({
      topic,
      consumerGroup,
      value: 'not json',
      headers: { traceparent: 'trace-1' },
      kind: 'poison',
      errorName: 'MalformedEventError',
      partition: 0,
    });
    expect(deadLetter!.offset).toMatch(/^[0-9]+$/);
  }, 60_000);

  it('skips events of the types the consumer does not take, without handing them to the handler', async () => {
    const skipped = recordedEventFixture({ type: 'ConsentGiven' });
    const next = recordedEventFixture();
    await producer.send({
      topic,
      messages: [skipped, next].map((event) => ({ ...toEventMessage(event), partition: 0 })),
    });

    await eventually('the next message was handled', () => completed.has(next.eventId));
    expect(deliveries.has(skipped.eventId)).toBe(false);
  }, 60_000);

  /** Publishes an event its handler finds poison; resolves with it and its dead letter once written. */
  async function deadLetteredPoison(): Promise<{ poison: RecordedEvent; letter: StoredDeadLetter }> {
    const poison = recordedEventFixture();
    behaviours.set(poison.eventId, async () => {
      throw new UnknownEventVersionError(poison.type, 7);
    });
    await publish(poison);
    await eventually('the dead letter arrived', async () => (await letterOf(poison.eventId)).length > 0);
    const [letter] = await letterOf(poison.eventId);
    return { poison, letter: letter! };
  }

  it('an event its handler finds poison is dead-lettered with the event headers, once', async () => {
    const { poison, letter } = await deadLetteredPoison();
    expect(letter).toMatchObject({ key: poison.streamId, topic: Topics.authRequests, kind: 'poison' });
    expect(letter.errorName).toBe('UnknownEventVersionError');
    expect(letter.headers).toMatchObject({
      [EventHeaders.eventType]: poison.type,
      [EventHeaders.correlationId]: poison.metadata.correlationId,
    });
    expect(JSON.parse(letter.value!)).toEqual(poison);
    expect(deliveries.get(poison.eventId)).toBe(1);
    expect(completed.has(poison.eventId)).toBe(false);
  }, 60_000);

  it('a dead letter an operator retries is handed to the handler again and, handled, leaves the table', async () => {
    const { poison, letter } = await deadLetteredPoison();

    behaviours.delete(poison.eventId); // the fix is deployed
    expect(await deadLetters.requestRetry({ ids: [letter.id] })).toEqual([letter.id]);

    await eventually('the retried event was handled', () => completed.has(poison.eventId));
    expect(deliveries.get(poison.eventId)).toBe(2);
    await eventually('the letter is gone', async () => (await letterOf(poison.eventId)).length === 0);
  }, 60_000);

  /** Publishes an event whose work fails `times` times with a transient error; resolves once it was handled. */
  async function handledAfterTransientFailures(times: number): Promise<RecordedEvent> {
    const event = recordedEventFixture();
    behaviours.set(event.eventId, failTimes(times, connectionRefused));
    await publish(event);
    await eventually('the event was handled', () => completed.has(event.eventId));
    return event;
  }

  it('a transient failure is retried in the handler and then succeeds, with one delivery', async () => {
    const flaky = await handledAfterTransientFailures(1);
    expect(deliveries.get(flaky.eventId)).toBe(1);
  }, 60_000);

  it('a transient failure that outlasts the handler retries is redelivered by Kafka, not dead-lettered', async () => {
    const stubborn = await handledAfterTransientFailures(3);
    expect(deliveries.get(stubborn.eventId)).toBeGreaterThanOrEqual(2);
    expect(await letterOf(stubborn.eventId)).toEqual([]);
  }, 60_000);

  /** Events of two streams interleaved, published at once (one batch of partition 0). */
  async function publishInterleaved(): Promise<{ first: RecordedEvent[]; second: RecordedEvent[] }> {
    const [firstStream, secondStream] = [recordedEventFixture().streamId, recordedEventFixture().streamId];
    const first = [recordedEventFixture({ streamId: firstStream }), recordedEventFixture({ streamId: firstStream })];
    const second = [recordedEventFixture({ streamId: secondStream }), recordedEventFixture({ streamId: secondStream })];
    return { first, second };
  }

  const sendTogether = (events: RecordedEvent[]) =>
    producer.send({ topic, messages: events.map((event) => ({ ...toEventMessage(event), partition: 0 })) });

  it('works on the streams of a batch side by side, each stream in order', async () => {
    const { first, second } = await publishInterleaved();
    // the first stream's first event finishes only once the other stream is done: one lane would never get there
    let otherStreamDone!: () => void;
    const otherStreamFinished = new Promise<void>((resolve) => (otherStreamDone = resolve));
    behaviours.set(first[0]!.eventId, () => otherStreamFinished);
    behaviours.set(second[1]!.eventId, async () => otherStreamDone());
    await sendTogether([first[0]!, second[0]!, first[1]!, second[1]!]);

    await eventually('both streams were handled', () => [...first, ...second].every((e) => completed.has(e.eventId)));

    const order = (events: RecordedEvent[]) =>
      completionOrder.filter((id) => events.some((event) => event.eventId === id));
    expect(order(first)).toEqual(first.map((event) => event.eventId));
    expect(order(second)).toEqual(second.map((event) => event.eventId));
    // the race happened: the second stream moved on while the first stream's first event was in hand
    expect(completionOrder.indexOf(second[0]!.eventId)).toBeLessThan(completionOrder.indexOf(first[0]!.eventId));
  }, 60_000);

  it('a batch failing half way is redelivered with only the events not finished', async () => {
    const { first, second } = await publishInterleaved();
    // outlasts the handler's retries: Kafka must deliver it again
    behaviours.set(first[0]!.eventId, failTimes(3, connectionRefused));
    await sendTogether([first[0]!, second[0]!, first[1]!, second[1]!]);

    await eventually('every event was handled', () => [...first, ...second].every((e) => completed.has(e.eventId)));

    expect(deliveries.get(first[0]!.eventId)).toBeGreaterThanOrEqual(2);
    // finished the first time, behind the failed offset: not handed again
    for (const event of second) expect(deliveries.get(event.eventId)).toBe(1);
    // held behind its stream's failed event, then handed with it
    expect(deliveries.get(first[1]!.eventId)).toBe(deliveries.get(first[0]!.eventId));
    expect(completionOrder.filter((id) => first.some((event) => event.eventId === id))).toEqual(
      first.map((event) => event.eventId),
    );
  }, 60_000);

  it("reports each partition's lag after a batch, in the shared metrics", async () => {
    const event = await handledAfterTransientFailures(0);
    expect(completed.has(event.eventId)).toBe(true);
    const lag = (await sharedMetricsRegistry.getSingleMetric('backchannel_kafka_consumer_lag_messages')!.get()).values;
    expect(lag).toContainEqual(
      expect.objectContaining({ labels: expect.objectContaining({ consumer_group: consumerGroup, partition: '0' }) }),
    );
    // read from the table at scrape time: the letters of the tests above still waiting
    const waiting = (await sharedMetricsRegistry.getSingleMetric('backchannel_dead_letters')!.get()).values;
    const ours = waiting.find((series) => series.labels.consumer_group === consumerGroup);
    expect(ours?.value).toBe((await letters()).length);
    expect(ours?.value).toBeGreaterThan(0);
  }, 60_000);
});
