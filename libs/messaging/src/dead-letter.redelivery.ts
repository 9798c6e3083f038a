import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { BaseRpcContext, type Server } from '@nestjs/microservices';
import { BackgroundLoop } from './background-loop.js';
import type { DeadLetterStore } from './dead-letter.store.js';
import { describeError } from './dead-letters.js';
import { EventBatch, handOver } from './event-batch.js';
import type { EventConsumer } from './event-consumer.js';
import { decodeRecordedEvent } from './recorded-event.codec.js';

/** Letters taken per round; a round runs every `intervalMs` while letters wait. */
const LETTERS_PER_ROUND = 50;

/**
 * Hands the dead letters an operator asked to retry (`ops dead-letters retry`) to the handlers of
 * their consumer groups in this process, one at a time, as a batch of one: the same handler and
 * the same EventHandlerRunner policy as a fresh delivery, whichever transport runs the group. A
 * letter handled is removed; one that fails again is dead-lettered anew by the runner (and the old
 * one removed); one that hits an outage is asked for again. A retried event may arrive after later
 * events of its stream: handlers are idempotent and the decider judges every event on the
 * stream's state, as for any redelivery.
 */
export class DeadLetterRedelivery {
  private readonly logger = new Logger(DeadLetterRedelivery.name);
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly store: DeadLetterStore,
    private readonly server: Pick<Server, 'getHandlerByPattern' | 'transformToObservable'>,
    private readonly consumers: readonly EventConsumer[],
    intervalMs: number,
  ) {
    this.loop = new BackgroundLoop(async (stopped) => {
      while (!stopped.aborted) {
        try {
          await this.redeliverRequested();
        } catch (error) {
          this.logger.warn(`retrying dead letters: ${describeError(error).message}`);
        }
        await sleep(intervalMs, undefined, { signal: stopped }).catch(() => undefined);
      }
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round: claims the requested letters of this process's groups and hands each over. */
  async redeliverRequested(): Promise<number> {
    const groups = this.consumers.map((consumer) => consumer.group);
    const letters = await this.store.claimRetries(groups, LETTERS_PER_ROUND);
    for (const letter of letters) {
      const consumer = this.consumers.find((candidate) => candidate.group === letter.consumerGroup)!;
      let event;
      try {
        event = decodeRecordedEvent(letter.value);
      } catch (error) {
        await this.store.failedAgain(letter.id, error);
        this.logger.warn(`${consumer.group}: dead letter ${letter.id} still does not decode`);
        continue;
      }
      try {
        await handOver(this.server, consumer.group, new EventBatch([event]), new BaseRpcContext([letter.topic]));
        await this.store.settle(letter.id);
        this.logger.log(`${consumer.group}: dead letter ${letter.id} (${event.type} ${event.eventId}) handed again`);
      } catch (error) {
        await this.store.release(letter.id);
        this.logger.warn(`${consumer.group}: dead letter ${letter.id} left for later: ${describeError(error).message}`);
      }
    }
    return letters.length;
  }
}
