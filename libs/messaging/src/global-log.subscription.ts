import { BackgroundLoop } from './background-loop.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOG_START, type LogCheckpoint, PostgresEventStore, isAfterInLog } from '@backchannel/event-store';
import type { RecordedEvent } from '@backchannel/events';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { describeError } from './dead-letters.js';
import { LogTailSession } from './log-tail.session.js';
import { backoffDelay, type BackoffOptions } from './retry-backoff.js';

export interface LogSubscriptionOptions {
  /** Names the advisory lock, and the checkpoint row unless `checkpoints` are given. */
  subscription: string;
  /**
   * Readers fed from this one subscription, each with its own checkpoint row (e.g. consumer groups
   * in one process): the log is read once from the earliest, and each is told what it has not passed.
   */
  checkpoints?: readonly string[];
  /** The event types the subscriber is fed (null: all); the checkpoint moves past the others. */
  eventTypes?: readonly string[] | null;
  /** Events of the log looked at per batch. */
  batchSize: number;
  /** Longest wait for new events when no notification arrives (a missed one only delays). */
  pollIntervalMs: number;
  /** How often a standby tries to take over. */
  lockRetryIntervalMs: number;
  /** Between attempts after a failure: the database or what the events go to is unavailable. */
  backoff: BackoffOptions;
}

/** Events read from the log, in log order. */
export interface LogBatch {
  events: RecordedEvent[];
  /** Those of `events` past the named checkpoint (all of them, unless its reader was behind the others). */
  newFor(checkpoint: string): RecordedEvent[];
}

/** What a subscription feeds, while it is the active one. */
export interface LogSubscriber {
  /** Before the first batch once active; a failure is retried with backoff. */
  activate(): Promise<void>;
  /**
   * Throwing keeps the checkpoints where they were: the same events come again (and perhaps more).
   * Stop waits for the batch in hand.
   */
  handleBatch(batch: LogBatch): Promise<void>;
  /** After stop, or when the session holding the lock broke (another process may take over). */
  deactivate(): Promise<void>;
}

/**
 * Tails the global event log from its checkpoints and feeds a subscriber, batch after batch; the
 * checkpoints move (in one statement) only past a batch the subscriber handled. Only one process is active per
 * subscription (an advisory lock on a dedicated session); the others stand by and retry the lock.
 * Wakes on the append notification, with a poll as the fallback.
 */
export class GlobalLogSubscription {
  private readonly store: PostgresEventStore;
  private readonly logger: Logger;
  private readonly wakeup = new Wakeup();
  private readonly loop = new BackgroundLoop((stopped) => this.run(stopped));
  private session: LogTailSession | null = null;
  private locked = false;
  private activated = false;
  private readonly checkpointNames: readonly string[];
  private checkpoints = new Map<string, LogCheckpoint>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly subscriber: LogSubscriber,
    private readonly options: LogSubscriptionOptions,
  ) {
    this.store = new PostgresEventStore(dataSource);
    this.checkpointNames = options.checkpoints ?? [options.subscription];
    this.logger = new Logger(`${GlobalLogSubscription.name}:${options.subscription}`);
  }

  /** Holds the lock: this process is the one tailing the log for the subscription. */
  isActive(): boolean {
    return this.locked && this.session?.isBroken === false;
  }

  start(): void {
    this.loop.start();
  }

  /** Lets the batch in hand finish, then releases the lock. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async run(stopped: AbortSignal): Promise<void> {
    let failures = 0;
    while (!stopped.aborted) {
      try {
        if (!(await this.becomeActive())) {
          await pause(this.options.lockRetryIntervalMs, stopped);
          continue;
        }
        const caughtUp = await this.handleNextBatch();
        failures = 0;
        if (caughtUp) await this.wakeup.wait(this.options.pollIntervalMs, stopped);
      } catch (error) {
        if (stopped.aborted) break;
        failures += 1;
        const delay = backoffDelay(failures, this.options.backoff);
        this.logger.warn(`failure ${failures} in a row, retrying in ${delay} ms: ${describeError(error).message}`);
        if (this.session?.isBroken) await this.deactivate();
        await pause(delay, stopped);
      }
    }
    await this.deactivate();
  }

  private async becomeActive(): Promise<boolean> {
    if (this.session?.isBroken) await this.deactivate();
    if (!this.locked) {
      this.session ??= await LogTailSession.open(this.dataSource, () => this.wakeup.notify());
      if (!(await this.session.tryLock(this.options.subscription))) return false;
      try {
        this.checkpoints = await this.session.loadCheckpoints(this.checkpointNames);
      } catch (error) {
        // Never tail from a checkpoint that was not loaded: give the lock back (closing the session) and retry.
        await this.deactivate();
        throw error;
      }
      this.locked = true;
      const from = this.earliestCheckpoint();
      this.logger.log(`active from ${from.transactionId}/${from.globalPosition}`);
    }
    if (!this.activated) {
      await this.subscriber.activate();
      this.activated = true;
    }
    return true;
  }

  /** Returns whether the subscription has caught up with the log. */
  private async handleNextBatch(): Promise<boolean> {
    const { events, positions, checkpoint, scanned } = await this.store.readLog(
      this.earliestCheckpoint(),
      this.options.batchSize,
      this.options.eventTypes ?? null,
    );
    if (events.length > 0) {
      await this.subscriber.handleBatch({
        events,
        newFor: (name) => {
          const from = this.checkpoints.get(name) ?? LOG_START;
          return events.filter((_, index) => isAfterInLog(positions[index]!, from));
        },
      });
    }
    const moved = this.checkpointNames.filter((name) => isAfterInLog(checkpoint, this.checkpoints.get(name)!));
    if (moved.length > 0) {
      await this.session!.saveCheckpoints(moved, checkpoint);
      for (const name of moved) this.checkpoints.set(name, checkpoint);
    }
    return scanned < this.options.batchSize;
  }

  private earliestCheckpoint(): LogCheckpoint {
    const checkpoints = this.checkpointNames.map((name) => this.checkpoints.get(name) ?? LOG_START);
    return checkpoints.reduce((earliest, checkpoint) => (isAfterInLog(earliest, checkpoint) ? checkpoint : earliest));
  }

  private async deactivate(): Promise<void> {
    if (this.activated) {
      this.activated = false;
      await this.subscriber.deactivate().catch((error: unknown) => this.logger.warn(describeError(error).message));
    }
    if (this.locked) this.logger.log('standing down');
    this.locked = false;
    await this.session?.close();
    this.session = null;
  }
}

/** Waits `ms`, or less if stopped. */
function pause(ms: number, stopped: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal: stopped }).catch(() => undefined);
}

/** Ends a wait early on notification; one that arrives while the loop is busy ends its next wait at once. */
export class Wakeup {
  private waiter: (() => void) | null = null;
  private pending = false;

  notify(): void {
    if (this.waiter) this.waiter();
    else this.pending = true;
  }

  async wait(timeoutMs: number, stopped: AbortSignal): Promise<void> {
    if (this.pending || stopped.aborted) {
      this.pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopped.removeEventListener('abort', done);
        this.waiter = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      stopped.addEventListener('abort', done);
      this.waiter = done;
    });
  }
}
