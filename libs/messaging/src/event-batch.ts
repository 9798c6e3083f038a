import type { RecordedEvent } from '@backchannel/events';
import type { BaseRpcContext, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';

/**
 * The events a transport hands a consumer's handler at once, in log order (Kafka: partition order),
 * with a note of those the handler has finished (effects committed, or dead-lettered). When a
 * handler asks for redelivery half way, the transport hands it only what is not finished.
 */
export class EventBatch<E extends RecordedEvent = RecordedEvent> {
  private readonly done = new Set<string>();

  constructor(readonly events: readonly E[]) {}

  markDone(event: E): void {
    this.done.add(event.eventId);
  }

  isDone(event: E): boolean {
    return this.done.has(event.eventId);
  }

  /** The events not finished yet, in batch order. */
  pending(): E[] {
    return this.events.filter((event) => !this.isDone(event));
  }

  /** The events not finished yet, grouped by stream, each stream's in order. */
  pendingByStream(): E[][] {
    const streams = new Map<string, E[]>();
    for (const event of this.events) {
      if (this.isDone(event)) continue;
      const stream = streams.get(event.streamId);
      if (stream) stream.push(event);
      else streams.set(event.streamId, [event]);
    }
    return [...streams.values()];
  }
}

/**
 * Runs `work` on every item, at most `lanes` at a time. Every item is tried even when some fail;
 * then the first failure is thrown.
 */
export async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  if (failures.length > 0) throw failures[0];
}

/**
 * Hands a batch to the handler a transport holds for `consumerGroup` (see ConsumerHandler) and
 * waits for it; what the handler throws reaches the transport. A group without a handler in this
 * process has nothing to do.
 */
export async function handOver(
  server: Pick<Server, 'getHandlerByPattern' | 'transformToObservable'>,
  consumerGroup: string,
  batch: EventBatch,
  context: BaseRpcContext,
): Promise<void> {
  const handler = server.getHandlerByPattern(consumerGroup);
  if (!handler) return;
  const result: unknown = await handler(batch, context);
  await lastValueFrom(server.transformToObservable(result), { defaultValue: undefined });
}
