import { Inject, Injectable, Logger } from '@nestjs/common';
import { KafkaLogger } from '@nestjs/microservices';
import { type Admin, Kafka, type KafkaConfig, logLevel, Partitioners, type Producer, type RetryOptions } from 'kafkajs';

export interface KafkaConnectionOptions {
  brokers: string[];
  clientId: string;
  /** TLS and SASL (kafkajs' own options); absent: plaintext. */
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** kafkajs' own retries of one request; the relay and the handlers retry on top with their backoff. */
  retry?: RetryOptions;
}

export const KAFKA_CONNECTION_OPTIONS = Symbol('KAFKA_CONNECTION_OPTIONS');

/** Our kafkajs client: brokers and client id from configuration, logs through Nest's logger. */
@Injectable()
export class KafkaConnection {
  private readonly kafka: Kafka;
  private readonly retry: RetryOptions;

  constructor(@Inject(KAFKA_CONNECTION_OPTIONS) options: KafkaConnectionOptions) {
    this.retry = options.retry ?? { retries: 5 };
    const logger = new Logger(`kafkajs:${options.clientId}`);
    this.kafka = new Kafka({
      brokers: options.brokers,
      clientId: options.clientId,
      ssl: options.ssl,
      sasl: options.sasl,
      retry: this.retry,
      logLevel: logLevel.WARN,
      logCreator: () => KafkaLogger(logger),
    });
  }

  /**
   * An idempotent producer: the broker drops the duplicates its own retries would create, and one
   * request in flight keeps a partition's messages in order. Its retries are bounded (kafkajs warns
   * about that) so that an outage surfaces to the caller, which backs off and replaces the producer.
   */
  async connectProducer(): Promise<Producer> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: this.retry,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    return connectOrDisconnect(producer);
  }

  async connectAdmin(): Promise<Admin> {
    return connectOrDisconnect(this.kafka.admin());
  }
}

/** A client whose connection failed still holds sockets and timers until disconnected. */
async function connectOrDisconnect<Client extends Producer | Admin>(client: Client): Promise<Client> {
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    throw error;
  }
}
