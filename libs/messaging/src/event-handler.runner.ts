import { setTimeout as sleep } from 'node:timers/promises';
import { type RecordedEvent, topicForStream } from '@backchannel/events';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { SpanKind, contextOf, inSpan, withCorrelation } from '@backchannel/observability';
import { KafkaRetriableException } from '@nestjs/microservices';
import { DeadLetters, describeError } from './dead-letters.js';
import { type EventBatch, inLanes } from './event-batch.js';
import { classifyFailure } from './failure-classification.js';
import { toEventMessage } from './recorded-event.codec.js';
import { backoffDelay, type BackoffOptions } from './retry-backoff.js';

export interface HandlerRetryPolicy {
  /** In-process attempts at a transient failure before the transport is asked to redeliver. */
  transientAttempts: number;
  /** Attempts at an unexpected failure before the message is dead-lettered. */
  unexpectedAttempts: number;
  backoff: BackoffOptions;
}

export const DEFAULT_HANDLER_RETRY_POLICY: HandlerRetryPolicy = {
  transientAttempts: 5,
  unexpectedAttempts: 3,
  backoff: { initialDelayMs: 100, maxDelayMs: 5_000 },
};

export const HANDLER_RETRY_POLICY = Symbol('HANDLER_RETRY_POLICY');

/** How many streams of a batch a consumer works on at once (a deployment setting: CONSUMER_STREAM_LANES). */
export const CONSUMER_STREAM_LANES = Symbol('CONSUMER_STREAM_LANES');
export const DEFAULT_CONSUMER_STREAM_LANES = 8;

/**
 * The one retry and dead-letter policy of every event handler, whichever transport delivered the
 * event. Nothing but a request for redelivery leaves `run`:
 * - success returns;
 * - a transient failure is retried with backoff; when it persists, `run` throws a
 *   KafkaRetriableException, so Kafka does not commit the offset and redelivers (the embedded
 *   transport keeps its checkpoint and retries) and an outage never dead-letters anything;
 * - a poison message, or an unexpected failure that repeats, is dead-lettered and `run` returns,
 *   so the transport moves past it. If the dead letter cannot be written, the message is redelivered.
 */
@Injectable()
export class EventHandlerRunner {
  private readonly logger = new Logger(EventHandlerRunner.name);
  private readonly policy: HandlerRetryPolicy;
  private readonly lanes: number;

  constructor(
    private readonly deadLetters: DeadLetters,
    @Optional() @Inject(HANDLER_RETRY_POLICY) policy?: HandlerRetryPolicy,
    @Optional() @Inject(CONSUMER_STREAM_LANES) lanes?: number,
  ) {
    this.policy = policy ?? DEFAULT_HANDLER_RETRY_POLICY;
    this.lanes = lanes ?? DEFAULT_CONSUMER_STREAM_LANES;
  }

  /**
   * Runs `work` on every event of the batch not finished yet, each under `run`'s policy: streams
   * side by side on up to `lanes` lanes, the events of one stream one after another, in order.
   * Finished events are marked on the batch. A stream whose event is left for redelivery stops
   * there (its later events must not overtake it); the other lanes carry on, and then the request
   * for redelivery is thrown, so the transport hands the batch again with only what is unfinished.
   */
  async runLanes<E extends RecordedEvent>(
    batch: EventBatch<E>,
    consumerGroup: string,
    work: (event: E) => Promise<void>,
    lanes = this.lanes,
  ): Promise<void> {
    await inLanes(batch.pendingByStream(), lanes, async (stream) => {
      for (const event of stream) {
        await this.run(event, consumerGroup, () => work(event));
        batch.markDone(event);
      }
    });
  }

  /**
   * For a handler whose effects on many events are one statement (or one transaction): all or
   * nothing, idempotent per event, and right for the events in batch order. Runs `work` once on
   * every unfinished event of the batch; if that fails, falls back to runLanes with `work` on one
   * event at a time, so each failure is retried, redelivered or dead-lettered per event as `run` says.
   */
  async runTogether<E extends RecordedEvent>(
    batch: EventBatch<E>,
    consumerGroup: string,
    work: (events: E[]) => Promise<void>,
  ): Promise<void> {
    const pending = batch.pending();
    if (pending.length > 1) {
      try {
        await work(pending);
        for (const event of pending) batch.markDone(event);
        return;
      } catch (error) {
        const reason = describeError(error).message;
        this.logger.warn(`${consumerGroup}: ${pending.length} events failed together, now one by one: ${reason}`);
      }
    }
    await this.runLanes(batch, consumerGroup, (event) => work([event]));
  }

  /**
   * Handles one event under the policy above, in the event's trace (a consumer span continuing
   * its metadata's traceparent) and with its correlation id on every line logged meanwhile.
   */
  run(event: RecordedEvent, consumerGroup: string, work: () => Promise<void>): Promise<void> {
    return withCorrelation(event.metadata.correlationId, () =>
      inSpan(
        `consume ${event.type}`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextOf(event.metadata),
          attributes: { 'messaging.consumer.group.name': consumerGroup, 'backchannel.stream_id': event.streamId },
        },
        () => this.runWithPolicy(event, consumerGroup, work),
      ),
    );
  }

  private async runWithPolicy(event: RecordedEvent, consumerGroup: string, work: () => Promise<void>): Promise<void> {
    // Counted per kind, so failures of an outage never use up the attempts that lead to a dead letter.
    const failures = { transient: 0, unexpected: 0 };
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return;
      } catch (error) {
        const kind = classifyFailure(error);
        const reason = describeError(error).message;
        const context = `${consumerGroup}: ${event.type} ${event.eventId} of ${event.streamId}, attempt ${attempt}`;
        if (kind !== 'poison') failures[kind] += 1;
        if (kind === 'poison' || failures.unexpected >= this.policy.unexpectedAttempts) {
          this.logger.error(`${context}: dead-lettered (${kind}): ${reason}`);
          await this.deadLetter(event, consumerGroup, kind === 'poison' ? 'poison' : 'unexpected', error);
          return;
        }
        if (failures.transient >= this.policy.transientAttempts) {
          this.logger.warn(`${context}: still failing, left for redelivery: ${reason}`);
          throw new KafkaRetriableException(`${context}: ${reason}`);
        }
        this.logger.warn(`${context}: ${kind} failure, retrying: ${reason}`);
        await sleep(backoffDelay(attempt, this.policy.backoff));
      }
    }
  }

  private async deadLetter(
    event: RecordedEvent,
    consumerGroup: string,
    kind: 'poison' | 'unexpected',
    error: unknown,
  ): Promise<void> {
    try {
      await this.deadLetters.record({
        topic: topicForStream(event.streamId),
        consumerGroup,
        ...toEventMessage(event),
        kind,
        error,
      });
    } catch (deadLetterError) {
      throw new KafkaRetriableException(`dead letter not written: ${describeError(deadLetterError).message}`);
    }
  }
}
