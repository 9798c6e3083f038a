import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeadLetters, type DeadLetter, deadLetterRecord, describeError } from './dead-letters.js';

/** The embedded mode has no Kafka: dead letters are rows of the dead_letters table. */
@Injectable()
export class PostgresDeadLetters extends DeadLetters {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async record(letter: DeadLetter): Promise<void> {
    const [message] = deadLetterRecord(letter).messages;
    const { name, message: errorMessage } = describeError(letter.error);
    await this.dataSource.query(
      `INSERT INTO dead_letters (consumer_group, topic, message_key, message_value, headers, failure_kind, error_name, error_message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        letter.consumerGroup,
        letter.topic,
        letter.key,
        letter.value?.toString() ?? null,
        JSON.stringify(
          Object.fromEntries(Object.entries(message!.headers).map(([header, value]) => [header, value.toString()])),
        ),
        letter.kind,
        name,
        errorMessage,
      ],
    );
  }
}
