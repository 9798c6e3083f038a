import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { DeadLetters, type DeadLetter, deadLetterRecord } from './dead-letters.js';
import { KafkaConnection } from './kafka.connection.js';

/** Dead letters go to the consumer group's dead-letter topic, written with acks from all replicas. */
@Injectable()
export class KafkaDeadLetters extends DeadLetters implements OnApplicationShutdown {
  private producer: Promise<Producer> | null = null;

  constructor(private readonly kafka: KafkaConnection) {
    super();
  }

  async record(letter: DeadLetter): Promise<void> {
    const producer = await this.connectedProducer();
    try {
      await producer.send({ ...deadLetterRecord(letter), acks: -1 });
    } catch (error) {
      // A failed send may still have been written; an idempotent producer that went on would
      // reuse its sequence number and the broker would drop the next letter as a duplicate.
      if (this.producer) this.producer = null;
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const connecting = this.producer;
    this.producer = null;
    const producer = await connecting?.catch(() => null);
    await producer?.disconnect();
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= this.kafka.connectProducer().catch((error: unknown) => {
      this.producer = null; // the next dead letter tries again
      throw error;
    });
    return this.producer;
  }
}
