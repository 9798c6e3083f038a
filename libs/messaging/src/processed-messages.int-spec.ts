import { randomUUID } from 'node:crypto';
import { EventStoreModule, createDataSource } from '@backchannel/event-store';
import type { RecordedEvent } from '@backchannel/events';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { createTopics, databaseUrl, eventually, sharedBrokers, testKafka } from './integration.fixture.js';
import { MessagingModule } from './messaging.module.js';
import { ProcessedMessages } from './processed-messages.js';
import { ConsumerHandler, eventConsumer } from './event-consumer.js';
import { kafkaConsumerOptions } from './recorded-event.kafka-server.js';
import { toEventMessage } from './recorded-event.codec.js';
import { recordedEventFixture } from './recorded-event.fixture.js';

const topic = `messaging-it-processed-${randomUUID()}`;
const consumerGroup = `messaging-it-${randomUUID()}`;
const consumer = eventConsumer(consumerGroup, topic, ['UserNotified']);
const outcomes: { eventId: string; outcome: 'processed' | 'duplicate' }[] = [];

@Controller()
class EffectController {
  constructor(private readonly processedMessages: ProcessedMessages) {}

  @ConsumerHandler(consumer)
  async handle(@Payload() event: RecordedEvent): Promise<void> {
    const outcome = await this.processedMessages.runOnce(consumerGroup, event.eventId, async (tx) => {
      await tx.query('INSERT INTO messaging_it_effects (event_id, stream_id) VALUES ($1, $2)', [
        event.eventId,
        event.streamId,
      ]);
    });
    outcomes.push({ eventId: event.eventId, outcome });
  }
}

@Module({
  imports: [
    EventStoreModule.forRoot({ databaseUrl: databaseUrl(), runMigrations: false }),
    MessagingModule.forKafka({ brokers: sharedBrokers(), clientId: 'messaging-it', relay: false }),
  ],
  controllers: [EffectController],
})
class EffectModule {}

describe('ProcessedMessages with a real Kafka consumer', () => {
  let dataSource: DataSource;
  let app: INestMicroservice;

  beforeAll(async () => {
    dataSource = await createDataSource(databaseUrl(), { poolSize: 2 }).initialize();
    // no unique key: a second effect would show as a second row
    await dataSource.query(
      'CREATE TABLE IF NOT EXISTS messaging_it_effects (event_id uuid NOT NULL, stream_id text NOT NULL)',
    );
    await createTopics(sharedBrokers(), [topic]);
    app = await NestFactory.createMicroservice(EffectModule, {
      ...kafkaConsumerOptions({ brokers: sharedBrokers(), clientId: 'messaging-it', consumer }),
      logger: ['error', 'warn'],
    });
    await app.listen();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await dataSource?.destroy();
  }, 60_000);

  it('a consumer given the same message twice has one effect', async () => {
    const event = recordedEventFixture();
    const producer = testKafka(sharedBrokers()).producer();
    await producer.connect();
    await producer.send({ topic, messages: [toEventMessage(event), toEventMessage(event)] });
    await producer.disconnect();

    await eventually(
      'both deliveries were handled',
      () => outcomes.filter((o) => o.eventId === event.eventId).length === 2,
    );

    expect(outcomes.filter((o) => o.eventId === event.eventId).map((o) => o.outcome)).toEqual([
      'processed',
      'duplicate',
    ]);
    const rows = await dataSource.query('SELECT stream_id FROM messaging_it_effects WHERE event_id = $1', [
      event.eventId,
    ]);
    expect(rows).toEqual([{ stream_id: event.streamId }]);
  }, 60_000);

  it('an effect that fails leaves no record, so the redelivered message takes effect', async () => {
    const processedMessages = app.get(ProcessedMessages);
    const messageId = randomUUID();
    await expect(
      processedMessages.runOnce(consumerGroup, messageId, async (tx) => {
        await tx.query('INSERT INTO messaging_it_effects (event_id, stream_id) VALUES ($1, $2)', [messageId, 'failed']);
        throw new Error('effect failed');
      }),
    ).rejects.toThrow('effect failed');

    const retried = await processedMessages.runOnce(consumerGroup, messageId, async (tx) => {
      await tx.query('INSERT INTO messaging_it_effects (event_id, stream_id) VALUES ($1, $2)', [messageId, 'retried']);
    });

    expect(retried).toBe('processed');
    const rows = await dataSource.query('SELECT stream_id FROM messaging_it_effects WHERE event_id = $1', [messageId]);
    expect(rows).toEqual([{ stream_id: 'retried' }]);
  });
});
