import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStoreModule, PostgresEventStore, createDataSource } from '@backchannel/event-store';
import { type NewEvent, type RecordedEvent, Topics, authRequestStreamId } from '@backchannel/events';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { EventHandlerRunner } from './event-handler.runner.js';
import type { EventBatch } from './event-batch.js';
import { ConsumerHandler, eventConsumer } from './event-consumer.js';
import { DeadLetterStore } from './dead-letter.store.js';
import { EventStoreTransport } from './event-store.transport.js';
import { databaseUrl, eventually } from './integration.fixture.js';
import { MessagingModule } from './messaging.module.js';

const consumerGroup = `messaging-it-embedded-${randomUUID()}`;
const consumer = eventConsumer(consumerGroup, Topics.authRequests, ['UserNotified']);
/** A second group fed by the same transport, which never fails. */
const otherGroup = `messaging-it-embedded-other-${randomUUID()}`;
const otherConsumer = eventConsumer(otherGroup, Topics.authRequests, ['UserNotified']);
/** This file's streams: the log is shared with every other test. */
const ownStreams = new Set<string>();
const received: RecordedEvent[] = [];
const deliveries = new Map<string, number>();
const otherDeliveries = new Map<string, number>();
const transientFailuresLeft = new Map<string, number>();
/** Streams whose events' handling waits for the promise, and those waiting now. */
const heldStreams = new Map<string, Promise<void>>();
const waiting = new Set<string>();

@Controller()
class RecordingController {
  constructor(private readonly runner: EventHandlerRunner) {}

  @ConsumerHandler(consumer)
  async handle(@Payload() batch: EventBatch): Promise<void> {
    await this.runner.runLanes(batch, consumerGroup, async (event) => {
      if (!ownStreams.has(event.streamId)) return;
      deliveries.set(event.eventId, (deliveries.get(event.eventId) ?? 0) + 1);
      const failuresLeft = transientFailuresLeft.get(event.eventId) ?? 0;
      if (failuresLeft > 0) {
        transientFailuresLeft.set(event.eventId, failuresLeft - 1);
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      waiting.add(event.streamId);
      await heldStreams.get(event.streamId);
      received.push(event);
    });
  }

  @ConsumerHandler(otherConsumer)
  async handleOther(@Payload() batch: EventBatch): Promise<void> {
    await this.runner.runLanes(batch, otherGroup, async (event) => {
      if (ownStreams.has(event.streamId))
        otherDeliveries.set(event.eventId, (otherDeliveries.get(event.eventId) ?? 0) + 1);
    });
  }
}

@Module({
  imports: [
    EventStoreModule.forRoot({ databaseUrl: databaseUrl(), runMigrations: false }),
    MessagingModule.forEmbedded({
      handlerRetryPolicy: {
        transientAttempts: 1,
        unexpectedAttempts: 1,
        backoff: { initialDelayMs: 10, maxDelayMs: 20 },
      },
    }),
  ],
  controllers: [RecordingController],
})
class RecordingModule {}

function userNotified(schemaVersion = 1): NewEvent & { eventId: string } {
  return {
    eventId: randomUUID(),
    type: 'UserNotified',
    schemaVersion,
    data: { requestId: randomUUID(), subject: 'alice', channel: 'webhook', deviceId: null },
    metadata: { correlationId: randomUUID(), actor: 'system:test', occurredAt: new Date().toISOString() },
  };
}

describe('EventStoreTransport', () => {
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let app: INestMicroservice | null = null;

  async function startApp(): Promise<void> {
    app = await NestFactory.createMicroservice(RecordingModule, {
      strategy: new EventStoreTransport({
        dataSource,
        consumers: [consumer, otherConsumer],
        pollIntervalMs: 200,
        batchSize: 50,
        backoff: { initialDelayMs: 20, maxDelayMs: 100 },
        deadLetterRetryIntervalMs: 100,
      }),
      logger: ['error'],
    });
    await app.listen();
  }

  async function stopApp(): Promise<void> {
    await app?.close();
    app = null;
  }

  function newStream(): string {
    const streamId = authRequestStreamId(randomUUID());
    ownStreams.add(streamId);
    return streamId;
  }

  /** Appends one event at a time, each in its own transaction, and returns them as recorded. */
  async function append(...appends: [streamId: string, event: NewEvent][]): Promise<RecordedEvent[]> {
    const recorded: RecordedEvent[] = [];
    for (const [streamId, event] of appends) {
      recorded.push(...(await store.appendToStream(streamId, 'any', [event])).events);
    }
    return recorded;
  }

  /** Appends in one transaction, so the events become visible, and are read, together. */
  function appendTogether(...appends: [streamId: string, event: NewEvent][]): Promise<RecordedEvent[]> {
    return store.transaction(async (tx) => {
      const recorded: RecordedEvent[] = [];
      for (const [streamId, event] of appends)
        recorded.push(...(await tx.appendToStream(streamId, 'any', [event])).events);
      return recorded;
    });
  }

  const receivedOf = (streamId: string) => received.filter((event) => event.streamId === streamId);

  const receivedIds = () => received.map((event) => event.eventId);
  const ids = (events: RecordedEvent[]) => events.map((event) => event.eventId);

  beforeAll(async () => {
    dataSource = await createDataSource(databaseUrl(), { poolSize: 4 }).initialize();
    store = new PostgresEventStore(dataSource);
    await startApp();
  }, 60_000);

  afterAll(async () => {
    await stopApp();
    await dataSource?.destroy();
  }, 60_000);

  it("hands appended events to the group's handler as RecordedEvents, each stream's in order", async () => {
    const [first, second, third] = [newStream(), newStream(), newStream()];
    const appended = await append(
      [first, userNotified()],
      [second, userNotified()],
      [first, userNotified()],
      [third, userNotified()],
      [second, userNotified()],
      [first, userNotified()],
    );

    await eventually('every event arrived', () => ids(appended).every((id) => receivedIds().includes(id)));

    for (const streamId of [first, second, third]) {
      const { events: stream } = await store.readStream(streamId);
      expect(receivedOf(streamId)).toEqual(stream);
    }
  }, 60_000);

  it('works on the streams of a batch side by side, each stream still in order', async () => {
    const [slow, fast] = [newStream(), newStream()];
    let release!: () => void;
    heldStreams.set(slow, new Promise((resolve) => (release = resolve)));
    const [slowFirst, , slowSecond, fastSecond] = await appendTogether(
      [slow, userNotified()],
      [fast, userNotified()],
      [slow, userNotified()],
      [fast, userNotified()],
    );

    await eventually('the other stream went past the held one', () => receivedIds().includes(fastSecond!.eventId));
    // the race happened: the later stream finished while the earlier one's first event was still in hand
    expect(waiting.has(slow)).toBe(true);
    expect(receivedIds()).not.toContain(slowFirst!.eventId);
    release();

    await eventually('the held stream finished', () => receivedIds().includes(slowSecond!.eventId));
    expect(ids(receivedOf(slow))).toEqual([slowFirst!.eventId, slowSecond!.eventId]);
  }, 60_000);

  it('hands a batch that failed half way again with only what was not finished, and no group anything twice', async () => {
    const [failing, fine] = [newStream(), newStream()];
    const stubbornEvent = userNotified();
    transientFailuresLeft.set(stubbornEvent.eventId, 2);
    const appended = await appendTogether(
      [failing, stubbornEvent],
      [fine, userNotified()],
      [failing, userNotified()],
      [fine, userNotified()],
    );
    const [stubborn, fineFirst, afterStubborn, fineSecond] = appended;

    await eventually('every event arrived', () => ids(appended).every((id) => receivedIds().includes(id)));

    expect(deliveries.get(stubborn!.eventId)).toBe(3);
    for (const event of [fineFirst, afterStubborn, fineSecond]) expect(deliveries.get(event!.eventId)).toBe(1);
    expect(ids(receivedOf(failing))).toEqual([stubborn!.eventId, afterStubborn!.eventId]);
    await eventually('the other group was handed them', () => ids(appended).every((id) => otherDeliveries.has(id)));
    for (const event of appended) expect(otherDeliveries.get(event.eventId)).toBe(1);
  }, 60_000);

  it("hands the handler its consumer's event types only, and moves past the others", async () => {
    const streamId = newStream();
    const other = { ...userNotified(), type: 'NotificationFailed' } as NewEvent & { eventId: string };
    const [, skipped, next] = await append([streamId, userNotified()], [streamId, other], [streamId, userNotified()]);

    await eventually('the event after the skipped one arrived', () => receivedIds().includes(next!.eventId));
    expect(deliveries.has(skipped!.eventId)).toBe(false);
    // every group has its own checkpoint
    const checkpoints: { global_position: string }[] = await dataSource.query(
      `SELECT global_position FROM subscription_checkpoints WHERE subscription = ANY($1)`,
      [[`event-store-transport:${consumerGroup}`, `event-store-transport:${otherGroup}`]],
    );
    expect(checkpoints).toHaveLength(2);
    for (const checkpoint of checkpoints) {
      expect(BigInt(checkpoint.global_position)).toBeGreaterThanOrEqual(BigInt(next!.globalPosition));
    }
  }, 60_000);

  it('resumes from its checkpoint after a restart: only the new events arrive', async () => {
    const streamId = newStream();
    const before = await append([streamId, userNotified()], [streamId, userNotified()]);
    await eventually('the first events arrived', () => ids(before).every((id) => receivedIds().includes(id)));

    await stopApp();
    const whileStopped = await append([streamId, userNotified()], [newStream(), userNotified()]);
    const receivedBeforeRestart = received.length;
    await startApp();

    await eventually('the events appended while stopped arrived', () =>
      ids(whileStopped).every((id) => receivedIds().includes(id)),
    );
    expect(receivedIds().slice(receivedBeforeRestart).sort()).toEqual(ids(whileStopped).sort());
  }, 60_000);

  it('delivers again an event whose handler asked for redelivery, holding back the events behind it', async () => {
    const streamId = newStream();
    const stubbornEvent = userNotified();
    transientFailuresLeft.set(stubbornEvent.eventId, 2);
    const [stubborn, next] = await append([streamId, stubbornEvent], [streamId, userNotified()]);

    await eventually('both events arrived', () => receivedIds().includes(next!.eventId));

    expect(deliveries.get(stubborn!.eventId)).toBeGreaterThanOrEqual(2);
    expect(receivedIds().filter((id) => id === stubborn!.eventId || id === next!.eventId)).toEqual([
      stubborn!.eventId,
      next!.eventId,
    ]);
  }, 60_000);

  it('records an event no upcaster knows in dead_letters and moves on', async () => {
    const streamId = newStream();
    const [poison, next] = await append([streamId, userNotified(9)], [streamId, userNotified()]);

    await eventually('the event after the poison one arrived', () => receivedIds().includes(next!.eventId));

    expect(receivedIds()).not.toContain(poison!.eventId);
    const rows = await dataSource.query(
      `SELECT topic, message_key, message_value, headers, failure_kind, error_name FROM dead_letters
       WHERE consumer_group = $1 AND message_key = $2`,
      [consumerGroup, streamId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      topic: Topics.authRequests,
      message_key: streamId,
      failure_kind: 'poison',
      error_name: 'UnknownEventVersionError',
    });
    expect(JSON.parse(rows[0].message_value)).toMatchObject({ eventId: poison!.eventId, schemaVersion: 9 });
    expect(rows[0].headers).toMatchObject({ eventId: poison!.eventId, schemaVersion: '9' });
  }, 60_000);

  it('a retried letter that still does not decode stays a dead letter, its failure renewed', async () => {
    const streamId = newStream();
    const [poison, next] = await append([streamId, userNotified(9)], [streamId, userNotified()]);
    await eventually('the event after the poison one arrived', () => receivedIds().includes(next!.eventId));
    const letterOf = async () =>
      (await new DeadLetterStore(dataSource).list({ consumerGroup, limit: 1000 })).filter(
        (letter) => letter.key === streamId,
      );
    const [letter] = await letterOf();

    await new DeadLetterStore(dataSource).requestRetry({ ids: [letter!.id] });

    await eventually('the retry was taken and failed again', async () => {
      const [after] = await letterOf();
      return after!.retryRequestedAt === null && after!.failedAt > letter!.failedAt;
    });
    expect(await letterOf()).toHaveLength(1);
    expect(receivedIds()).not.toContain(poison!.eventId);
  }, 60_000);

  it('close() waits for the handler in flight', async () => {
    const streamId = newStream();
    let release!: () => void;
    heldStreams.set(streamId, new Promise((resolve) => (release = resolve)));
    const [held] = await append([streamId, userNotified()]);
    await eventually('the handler is in flight', () => waiting.has(streamId));

    const order: string[] = [];
    const closing = stopApp().then(() => order.push('closed'));
    await sleep(200); // room for close() to return early, were it not waiting
    order.push('handler released');
    release();
    await closing;

    expect(order).toEqual(['handler released', 'closed']);
    expect(receivedIds()).toContain(held!.eventId);
  }, 60_000);
});
