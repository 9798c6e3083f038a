import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BackgroundLoop } from './background-loop.js';
import { Wakeup } from './global-log.subscription.js';

export interface LeasedJobWorkerOptions<Job> {
  /** Names the worker in its log lines. */
  name: string;
  /** Leases up to `limit` due jobs (LeasedJobs.claimDue with the worker's lease). */
  claim: (now: Date, limit: number) => Promise<Job[]>;
  /** Works one job to its end or to its next attempt; never throws. */
  work: (job: Job) => Promise<void>;
  /** How often to look for due jobs when nothing woke the worker. */
  pollIntervalMs: number;
  /** Jobs in progress at once per process: a slow endpoint holds one, never the others. */
  maxConcurrent: number;
}

/**
 * Claims due leased jobs and works them, up to `maxConcurrent` at a time. Looks for due jobs every
 * pollIntervalMs, at once when woken (an event that made a job due, a job finished); any number of
 * workers may run, in one process or many, since each job is leased to one of them. Starts with
 * the application and stops before the DataSource closes.
 */
export class LeasedJobWorker<Job> implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly wakeup = new Wakeup();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly loop = new BackgroundLoop((stopped) => this.run(stopped));

  constructor(private readonly options: LeasedJobWorkerOptions<Job>) {
    this.logger = new Logger(options.name);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  /** Before the DataSource closes (TypeORM closes it in the shutdown hooks). */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  start(): void {
    this.loop.start();
  }

  /** Claims nothing more and waits for the jobs in hand (each bounded by its HTTP timeout). */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.inFlight);
  }

  /** Something may have become due: look now rather than at the next poll. */
  wake(): void {
    this.wakeup.notify();
  }

  private async run(stopped: AbortSignal): Promise<void> {
    while (!stopped.aborted) {
      await this.claimAndStartJobs();
      await this.wakeup.wait(this.options.pollIntervalMs, stopped);
    }
  }

  private async claimAndStartJobs(): Promise<void> {
    const capacity = this.options.maxConcurrent - this.inFlight.size;
    if (capacity === 0) return;
    try {
      for (const job of await this.options.claim(new Date(), capacity)) {
        const working = this.options.work(job).finally(() => {
          this.inFlight.delete(working);
          this.wake();
        });
        this.inFlight.add(working);
      }
    } catch (error) {
      // the database is unavailable: the next poll tries again; leased jobs lapse meanwhile
      this.logger.warn(`cannot claim due jobs: ${(error as Error).message}`);
    }
  }
}
