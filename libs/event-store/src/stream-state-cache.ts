import type { EventMetadata } from '@backchannel/events';

/** A stream's state folded at its version: where a command may start without reading the stream again. */
export interface StreamState<State> {
  state: State;
  version: number;
  /** Its first event's metadata: a command on the stream joins the stream's trace (inStreamTrace). */
  origin?: Pick<EventMetadata, 'correlationId' | 'traceparent'>;
}

interface Entry {
  decider: object;
  cached: StreamState<unknown>;
}

/** Streams remembered per process: requests live minutes, so the recent ones are what is asked for. */
export const STREAM_STATE_CACHE_SIZE = 2_000;

/**
 * The states of the streams this process read or appended to last, so a command that follows
 * (the decision after the notification, the tokens after the decision) need not read the stream
 * again. A remembered state may be older than the stream (another process appended since): it is
 * only ever a starting point. An append from it checks the version, and fails and re-reads when
 * the stream moved on; a command it rejects, or accepts with nothing to record, is decided again
 * on a fresh read (handleCommand), so no answer rests on it alone.
 */
export class StreamStateCache {
  private readonly entries = new Map<string, Entry>();
  /** Per stream, the end of the last command this process started on it. */
  private readonly turns = new Map<string, Promise<void>>();

  constructor(private readonly capacity = STREAM_STATE_CACHE_SIZE) {}

  get<State>(streamId: string, decider: object): StreamState<State> | undefined {
    const entry = this.entries.get(streamId);
    if (!entry || entry.decider !== decider) return undefined;
    // most recently used last, so the oldest is evicted first
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    return entry.cached as StreamState<State>;
  }

  /** Keeps the state unless a newer one is kept already (two commands of one stream may finish out of order). */
  remember<State>(streamId: string, decider: object, cached: StreamState<State>): void {
    const known = this.entries.get(streamId);
    if (known && known.decider === decider && known.cached.version > cached.version) return;
    this.entries.delete(streamId);
    this.entries.set(streamId, { decider, cached });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `command` once every command this process started earlier on the stream has ended: two
   * commands of one stream in one process (the notifier's outcome and the device's answer, say) no
   * longer race for the same version, whose loser paid a refused append and a re-read; the second
   * starts from the state the first left. Other streams, and other processes, are not held up.
   */
  inTurn<T>(streamId: string, command: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(streamId);
    const result = previous ? previous.then(command) : command();
    const ended = result.then(
      () => undefined,
      () => undefined,
    );
    this.turns.set(streamId, ended);
    void ended.then(() => {
      if (this.turns.get(streamId) === ended) this.turns.delete(streamId);
    });
    return result;
  }

  /** Streams with a command in progress or waiting. */
  get streamsInTurn(): number {
    return this.turns.size;
  }
}
