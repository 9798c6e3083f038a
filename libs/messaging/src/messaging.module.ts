import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { ConsumerHealth } from './consumer-health.js';
import { DeadLetters } from './dead-letters.js';
import {
  CONSUMER_STREAM_LANES,
  DEFAULT_CONSUMER_STREAM_LANES,
  DEFAULT_HANDLER_RETRY_POLICY,
  EventHandlerRunner,
  HANDLER_RETRY_POLICY,
  type HandlerRetryPolicy,
} from './event-handler.runner.js';
import { CreateMessagingTables1763700000100 } from './migrations/1763700000100-create-messaging-tables.js';
import { KAFKA_CONNECTION_OPTIONS, KafkaConnection, type KafkaConnectionOptions } from './kafka.connection.js';
import { OUTBOX_RELAY_OPTIONS, OutboxRelay, type OutboxRelayOptions } from './outbox-relay.service.js';
import { DeadLetterStore } from './dead-letter.store.js';
import { LogMetrics } from './messaging.metrics.js';
import { DeadLettersForOperators1765200000100 } from './migrations/1765200000100-dead-letters-for-operators.js';

export interface KafkaMessagingOptions {
  brokers: string[];
  clientId: string;
  /** TLS and SASL of the Kafka clients (see KafkaConnectionOptions). */
  security?: Pick<KafkaConnectionOptions, 'ssl' | 'sasl'>;
  /** Run the outbox relay in this process (it stands by while another process's relay is active). */
  relay: boolean;
  relayOptions?: OutboxRelayOptions;
  handlerRetryPolicy?: HandlerRetryPolicy;
  /** Streams of a batch a handler works on at once (default 8). */
  streamLanes?: number;
}

/** What handlers use in both modes: dead letters are rows of the dead_letters table in both. */
function handlerProviders(options: { handlerRetryPolicy?: HandlerRetryPolicy; streamLanes?: number }): Provider[] {
  return [
    DeadLetterStore,
    { provide: DeadLetters, useExisting: DeadLetterStore },
    { provide: HANDLER_RETRY_POLICY, useValue: options.handlerRetryPolicy ?? DEFAULT_HANDLER_RETRY_POLICY },
    { provide: CONSUMER_STREAM_LANES, useValue: options.streamLanes ?? DEFAULT_CONSUMER_STREAM_LANES },
    EventHandlerRunner,
    LogMetrics,
  ];
}

/**
 * Messaging for the apps, global so that every feature module's handlers can inject
 * EventHandlerRunner. Needs EventStoreModule (the DataSource and store).
 */
@Module({})
export class MessagingModule {
  static readonly migrations: readonly Migration[] = [
    CreateMessagingTables1763700000100,
    DeadLettersForOperators1765200000100,
  ];
  static readonly retention: readonly RetentionRule[] = [
    { table: 'processed_messages', endedAt: 'processed_at' },
    { table: 'dead_letters', endedAt: 'failed_at', kind: 'dead_letter' },
  ];

  /** Distributed mode: the relay (if `relay`), the Kafka connection and the consumer's health signal. */
  static forKafka(options: KafkaMessagingOptions): DynamicModule {
    const relayProviders: Provider[] = options.relay
      ? [{ provide: OUTBOX_RELAY_OPTIONS, useValue: options.relayOptions ?? {} }, OutboxRelay]
      : [];
    return {
      module: MessagingModule,
      global: true,
      providers: [
        {
          provide: KAFKA_CONNECTION_OPTIONS,
          useValue: { brokers: options.brokers, clientId: options.clientId, ...options.security },
        },
        KafkaConnection,
        ConsumerHealth,
        ...handlerProviders(options),
        ...relayProviders,
      ],
      exports: [
        EventHandlerRunner,
        DeadLetters,
        DeadLetterStore,
        ConsumerHealth,
        ...(options.relay ? [OutboxRelay] : []),
      ],
    };
  }

  /** Embedded mode: no Kafka. */
  static forEmbedded(options: { handlerRetryPolicy?: HandlerRetryPolicy; streamLanes?: number } = {}): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: handlerProviders(options),
      exports: [EventHandlerRunner, DeadLetters, DeadLetterStore],
    };
  }
}
