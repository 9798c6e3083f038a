import { randomUUID } from 'node:crypto';
import { EventStoreModule, PostgresEventStore, createDataSource } from '@backchannel/event-store';
import { type NewEvent, type RecordedEvent, Topics, authRequestStreamId } from '@backchannel/events';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { DeadLetterStore } from './dead-letter.store.js';
import { PrivateKafkaBroker } from '@backchannel/testing';
import { databaseUrl, eventually } from './integration.fixture.js';
import { KafkaConnection } from './kafka.connection.js';
import { MessagingModule } from './messaging.module.js';
import { OutboxRelay } from './outbox-relay.service.js';
import { ConsumerHandler, eventConsumer } from './event-consumer.js';
import { EventBatch } from './event-batch.js';
import { kafkaConsumerOptions } from './recorded-event.kafka-server.js';

/** This file's streams: the log is shared with every other test. */
const ownStreams = new Set<string>();
const received: RecordedEvent[] = [];

const recordingConsumer = eventConsumer(`outbox-relay-it-${randomUUID()}`, Topics.authRequests, ['UserNotified']);

@Controller()
class RecordingController {
  @ConsumerHandler(recordingConsumer)
  async handle(@Payload() batch: EventBatch): Promise<void> {
    for (const event of batch.events) {
      if (ownStreams.has(event.streamId)) received.push(event);
    }
  }
}

@Module({ controllers: [RecordingController] })
class RecordingModule {}

/** Counts producer connections: a new one follows every failed send. */
class CountingKafkaConnection extends KafkaConnection {
  producerConnections = 0;

  override connectProducer() {
    this.producerConnections += 1;
    return super.connectProducer();
  }
}

function userNotified(): NewEvent {
  return {
    type: 'UserNotified',
    schemaVersion: 1,
    data: { requestId: randomUUID(), subject: 'alice', channel: 'webhook', deviceId: null },
    metadata: { correlationId: randomUUID(), actor: 'system:test', occurredAt: new Date().toISOString() },
  };
}

describe('OutboxRelay (on a Kafka broker of its own)', () => {
  let broker: PrivateKafkaBroker;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  const relays: OutboxRelay[] = [];
  const consumers: INestMicroservice[] = [];

  beforeAll(async () => {
    broker = await PrivateKafkaBroker.start();
    dataSource = await createDataSource(databaseUrl(), { poolSize: 6 }).initialize();
    store = new PostgresEventStore(dataSource);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
    await Promise.all(consumers.map((consumer) => consumer.close()));
    await broker?.destroy();
    await dataSource?.destroy();
  }, 180_000);

  /** Starts the subscription at the head of the log: the log holds other tests' events. */
  async function checkpointAtHead(subscription: string): Promise<void> {
    const head = await store.currentLogCheckpoint();
    await dataSource.query(
      `INSERT INTO subscription_checkpoints (subscription, transaction_id, global_position)
       VALUES ($1, $2::xid8, $3) ON CONFLICT (subscription) DO NOTHING`,
      [subscription, head.transactionId, head.globalPosition],
    );
  }

  /** A relay with its own subscription. */
  async function relayFor(subscription: string, kafka = new CountingKafkaConnection(kafkaOptions())) {
    await checkpointAtHead(subscription);
    const relay = new OutboxRelay(dataSource, kafka, {
      subscription,
      pollIntervalMs: 200,
      lockRetryIntervalMs: 100,
      backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
      partitions: 3,
    });
    relays.push(relay);
    return relay;
  }

  function kafkaOptions() {
    return {
      brokers: broker.brokers,
      clientId: 'outbox-relay-it',
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    };
  }

  async function startConsumer(): Promise<INestMicroservice> {
    const consumer = await NestFactory.createMicroservice(RecordingModule, {
      ...kafkaConsumerOptions({
        brokers: broker.brokers,
        clientId: 'outbox-relay-it',
        consumer: recordingConsumer,
        deadLetters: new DeadLetterStore(dataSource),
      }),
      logger: ['error'],
    });
    await consumer.listen();
    consumers.push(consumer);
    return consumer;
  }

  function newStream(): string {
    const streamId = authRequestStreamId(randomUUID());
    ownStreams.add(streamId);
    return streamId;
  }

  async function append(...streamIds: string[]): Promise<RecordedEvent[]> {
    const recorded: RecordedEvent[] = [];
    for (const streamId of streamIds)
      recorded.push(...(await store.appendToStream(streamId, 'any', [userNotified()])).events);
    return recorded;
  }

  const hasReceived = (events: RecordedEvent[]) => () =>
    events.every((event) => received.some((delivered) => delivered.eventId === event.eventId));

  /** How many of the events the subscription's checkpoint has already passed. */
  async function passedByCheckpoint(subscription: string, events: RecordedEvent[]): Promise<number> {
    const [{ passed }] = await dataSource.query(
      `SELECT count(*)::int AS passed FROM events e JOIN subscription_checkpoints c ON c.subscription = $1
       WHERE e.event_id = ANY($2::uuid[]) AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position)`,
      [subscription, events.map((event) => event.eventId)],
    );
    return passed;
  }

  it('with the broker stopped, events wait in the store and all arrive after it restarts', async () => {
    const subscription = `outbox-relay-it-${randomUUID()}`;
    const kafka = new CountingKafkaConnection(kafkaOptions());
    const relay = await relayFor(subscription, kafka);
    await relay.start();
    await eventually('the relay is active', () => relay.isActive());
    const before = await append(newStream());
    // the relay creates the topics it publishes to: subscribe once it has published
    await eventually(
      'the relay published the first event',
      async () => (await passedByCheckpoint(subscription, before)) === 1,
    );
    const firstConsumer = await startConsumer();
    await eventually('the event appended before the outage arrived', hasReceived(before));
    await firstConsumer.close();
    consumers.splice(consumers.indexOf(firstConsumer), 1);

    await broker.stop();
    const [first, second, third] = [newStream(), newStream(), newStream()];
    const duringOutage = await append(first, second, first, third, second, first, third);
    const connectionsAtOutage = kafka.producerConnections;
    await eventually(
      'the relay failed to produce and tried again',
      () => kafka.producerConnections > connectionsAtOutage,
    );

    expect(await passedByCheckpoint(subscription, duringOutage)).toBe(0);

    await broker.resume();
    await startConsumer();
    await eventually('every event appended during the outage arrived', hasReceived(duringOutage), 120_000);

    for (const streamId of [first, second, third]) {
      const delivered = received.filter((event) => event.streamId === streamId).map((event) => event.streamVersion);
      const firstDeliveries = delivered.filter((version, index) => delivered.indexOf(version) === index);
      const appended = duringOutage.filter((event) => event.streamId === streamId).map((event) => event.streamVersion);
      expect(firstDeliveries).toEqual(appended);
    }
    await eventually(
      'the checkpoint passed them',
      async () => (await passedByCheckpoint(subscription, duringOutage)) === 7,
    );
  }, 180_000);

  it('only one relay is active; a standby takes over when the active one stops or loses its session', async () => {
    if (consumers.length === 0) await startConsumer();
    const subscription = `outbox-relay-it-${randomUUID()}`;
    const [one, other] = [await relayFor(subscription), await relayFor(subscription)];
    await Promise.all([one.start(), other.start()]);
    await eventually('one relay is active', () => one.isActive() || other.isActive());
    const [active, standby] = one.isActive() ? [one, other] : [other, one];

    const first = await append(newStream());
    await eventually('the active relay published', hasReceived(first));
    expect([active.isActive(), standby.isActive()]).toEqual([true, false]);

    await active.stop();
    await eventually('the standby took over', () => standby.isActive());
    const second = await append(newStream());
    await eventually('the new active relay published', hasReceived(second));

    await active.start();
    const terminated = await dataSource.query(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [subscription],
    );
    expect(terminated).toEqual([{ terminated: true }]);
    await eventually('a relay is active again', () => active.isActive() || standby.isActive());
    expect(active.isActive() && standby.isActive()).toBe(false);
    const third = await append(newStream());
    await eventually('events flow again', hasReceived(third));
  }, 180_000);

  it('MessagingModule.forKafka with relay: true runs the relay with the application', async () => {
    if (consumers.length === 0) await startConsumer();
    const subscription = `outbox-relay-it-${randomUUID()}`;
    await checkpointAtHead(subscription);
    const app = await NestFactory.createApplicationContext(
      {
        imports: [
          EventStoreModule.forRoot({ databaseUrl: databaseUrl(), runMigrations: false }),
          MessagingModule.forKafka({
            ...kafkaOptions(),
            relay: true,
            relayOptions: { subscription, pollIntervalMs: 200, backoff: { initialDelayMs: 100, maxDelayMs: 1_000 } },
          }),
        ],
      },
      { logger: ['error'] },
    );
    const relay = app.get(OutboxRelay);
    await eventually('the relay started with the application', () => relay.isActive());

    const events = await append(newStream());
    await eventually('the relay published', hasReceived(events));

    await app.close();
    expect(relay.isActive()).toBe(false);
  }, 60_000);
});
