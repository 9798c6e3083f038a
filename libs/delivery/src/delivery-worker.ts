import { SpanKind, contextOf, inSpan, sharedCounter, withCorrelation } from '@backchannel/observability';
import {
  type BeforeApplicationShutdown,
  Logger,
  type OnApplicationBootstrap,
  type Provider,
  type Type,
} from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { BackgroundLoop, Wakeup, backoffDelay, type BackoffOptions } from '@backchannel/messaging';
import {
  type DeliveryOutcome,
  type DeliveryResult,
  type FailureReasonOf,
  followUp,
  shortDetail,
} from './attempt-follow-up.js';
import { type DeliveryJob, DeliveryJobs, type DeliveryQueue, type NewDeliveryJob } from './delivery-jobs.repository.js';
import type { AlongsideWrites } from '@backchannel/event-store';

/** A delivery ready to go: the only part that differs between client notifications and device channels. */
const deliveryAttempts = sharedCounter({
  name: 'backchannel_delivery_attempts_total',
  help: 'Delivery attempts by queue, channel and outcome: delivered, retried later, or failed for good.',
  labelNames: ['queue', 'channel', 'outcome'] as const,
});

export interface PreparedDelivery<Outcome extends DeliveryOutcome> {
  /** What is sent to whom, for log lines: never a secret. */
  description: string;
  /** How it travels, a metrics label: `ping` or `push` to clients, a device channel's name to devices. */
  channel: string;
  /** The request's correlation id and trace context (its first event's), which the attempt joins. */
  origin?: { correlationId: string; traceparent?: string };
  /** One attempt. A throw is a failure of ours (a sealed value that does not open): retried with backoff. */
  send(): Promise<Outcome>;
  /**
   * Records how the delivery ended as an event of the request, with `finishJob` written in the
   * same statement (AlongsideWrites). False when the decider recorded nothing (the request moved
   * on since it was read, or another worker recorded first): the job is then finished on its own.
   */
  record(result: DeliveryResult<FailureReasonOf<Outcome>>, finishJob: AlongsideWrites): Promise<boolean>;
}

/** What a claimed job should do now, as the request's decider sees it. */
export type DeliveryPlan<Outcome extends DeliveryOutcome> =
  /** Nothing will ever be sent: the outcome is recorded, the request ended, the recipient is gone. */
  | { action: 'finish'; why: string }
  /** Nothing is due yet: look again at `until` (or sooner, when an event wakes the job). */
  | { action: 'wait'; until: Date }
  /** Send; retries stop at `deadline`. */
  | { action: 'send'; deadline: Date; delivery: PreparedDelivery<Outcome> };

/** One kind of delivery: reads the request and says what its job should do. */
export interface DeliveryChannel<Outcome extends DeliveryOutcome> {
  readonly queue: DeliveryQueue;
  plan(job: DeliveryJob, now: Date): Promise<DeliveryPlan<Outcome>>;
}

export interface DeliveryWorkerSettings {
  /** Names the worker in its log lines. */
  name: string;
  /** How long a claim is this worker's; after a crash the job is claimed again once it lapses. */
  leaseMs: number;
  /** How often to look for due jobs when nothing woke the worker. */
  pollIntervalMs: number;
  /** Backoff between attempts. */
  retry: BackoffOptions;
  /** Jobs in progress at once per process: a slow recipient holds one, never the others. */
  maxConcurrent: number;
}

/**
 * The one delivery pipeline: claims due jobs of a queue, asks the channel what each owes, sends,
 * classifies the attempt (followUp: the same rules for every delivery), and records the outcome
 * in the transaction that ends the job, or schedules the retry. At least once: a worker that
 * crashes between the send and that commit leaves its lease to lapse, and the job is sent again;
 * the decider records one outcome. Any number of workers may run, in one process or many.
 */
export class DeliveryWorker<Outcome extends DeliveryOutcome = DeliveryOutcome>
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger: Logger;
  private readonly wakeup = new Wakeup();
  private readonly inFlight = new Set<Promise<void>>();
  /** Places held by claims under way (see holding). */
  private claiming = 0;
  /** Due jobs may be waiting for room: the last claim filled it, or a schedule could not lease them all. */
  private backlog = false;
  private stopping = false;
  private readonly loop = new BackgroundLoop((stopped) => this.run(stopped));

  constructor(
    private readonly jobs: DeliveryJobs,
    private readonly channel: DeliveryChannel<Outcome>,
    private readonly settings: DeliveryWorkerSettings,
  ) {
    this.logger = new Logger(settings.name);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  start(): void {
    this.stopping = false;
    this.loop.start();
  }

  /** Before the DataSource closes (TypeORM closes it in the shutdown hooks). */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Claims nothing more and waits for the jobs in hand (each bounded by its HTTP timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop.stop();
    await Promise.all(this.inFlight);
  }

  /** Something may have become due: look now rather than at the next poll. */
  wake(): void {
    this.wakeup.notify();
  }

  private async run(stopped: AbortSignal): Promise<void> {
    while (!stopped.aborted) {
      await this.claimAndStart();
      await this.wakeup.wait(this.settings.pollIntervalMs, stopped);
    }
  }

  private async claimAndStart(): Promise<void> {
    const room = this.room();
    if (room === 0) return;
    try {
      const { queue } = this.channel;
      const claimed = await this.holding(room, () =>
        this.jobs.claimDue(queue, new Date(), this.settings.leaseMs, room),
      );
      for (const job of claimed) this.startWork(job);
      this.backlog = claimed.length === room;
    } catch (error) {
      // the database is unavailable: the next poll tries again; leased jobs lapse meanwhile
      this.logger.warn(`cannot claim due jobs: ${(error as Error).message}`);
    }
  }

  /**
   * Schedules new jobs (DeliveryJobs.schedule) and starts at once those due now that there is room
   * for, leased in the same statement: a new request's delivery costs no claim of its own. The
   * others wait for a claim. Throws when the jobs could not be scheduled (the caller's event is
   * then handled again).
   */
  async schedule(jobs: readonly NewDeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const room = this.room();
    const lease = { now: new Date(), leaseMs: this.settings.leaseMs, limit: room };
    const leased = await this.holding(room, () => this.jobs.schedule(jobs, lease));
    for (const job of leased) this.startWork(job);
    const dueNow = jobs.filter((job) => new Date(job.dueAt) <= lease.now).length;
    if (leased.length < dueNow) {
      // no room for some (or they existed already): a claim looks for them
      this.backlog = true;
      this.wake();
    }
  }

  /** How many more jobs this worker may take now: none once stopping. */
  private room(): number {
    if (this.stopping) return 0;
    return Math.max(0, this.settings.maxConcurrent - this.inFlight.size - this.claiming);
  }

  /** Holds `room` places while `claim` runs, so claims made at once never take more than there is room for. */
  private async holding<T>(room: number, claim: () => Promise<T>): Promise<T> {
    this.claiming += room;
    try {
      return await claim();
    } finally {
      this.claiming -= room;
    }
  }

  private startWork(job: DeliveryJob): void {
    const working = this.work(job).finally(() => {
      this.inFlight.delete(working);
      // room again: claim what waited for it (nothing waits otherwise; the poll finds jobs as they fall due)
      if (this.backlog) this.wake();
    });
    this.inFlight.add(working);
  }

  /** Never throws: a failure of ours is retried with backoff, and if even that fails the lease lapses. */
  async work(job: DeliveryJob): Promise<void> {
    // the request's own words once the plan has them (a request id, never a secret)
    let description = `${job.queue} to ${job.recipient} of ${job.streamId}`;
    try {
      const now = new Date();
      const plan = await this.channel.plan(job, now);
      switch (plan.action) {
        case 'finish':
          return await this.jobs.finish(job, now);
        case 'wait':
          await this.jobs.release(job, plan.until, now);
          // an event that woke the job while it was leased makes it due at once: look for it now
          return this.wake();
        case 'send':
          description = plan.delivery.description;
          return await this.inOrigin(plan.delivery, () => this.attempt(job, plan.deadline, plan.delivery, now));
        default: {
          const unknownPlan: never = plan;
          throw new Error(`unhandled plan ${(unknownPlan as { action: string }).action}`);
        }
      }
    } catch (error) {
      const detail = shortDetail(`${(error as Error).name}: ${(error as Error).message}`);
      this.logger.error(`${description}, attempt ${job.attempts}: ${detail}`);
      const retryAt = new Date(Date.now() + backoffDelay(job.attempts, this.settings.retry));
      await this.jobs.retryLater(job, retryAt, detail).catch(() => undefined);
    }
  }

  /** An attempt is a client span in the request's trace, logged with the request's correlation id. */
  private inOrigin(delivery: PreparedDelivery<Outcome>, attempt: () => Promise<void>): Promise<void> {
    const traced = () =>
      inSpan(
        `deliver ${delivery.channel}`,
        {
          kind: SpanKind.CLIENT,
          ...(delivery.origin && { parent: contextOf(delivery.origin) }),
          attributes: { 'backchannel.queue': this.channel.queue, 'backchannel.channel': delivery.channel },
        },
        attempt,
      );
    return delivery.origin ? withCorrelation(delivery.origin.correlationId, traced) : traced();
  }

  private async attempt(
    job: DeliveryJob,
    deadline: Date,
    delivery: PreparedDelivery<Outcome>,
    now: Date,
  ): Promise<void> {
    const triedBefore = job.attempts - 1;
    if (!(now < deadline)) {
      // Nothing is sent at or after the deadline. Attempts that failed before end in
      // retries_exhausted; a delivery never tried has nothing to report.
      if (triedBefore === 0) {
        this.logger.warn(`${delivery.description}: the deadline passed before the first attempt`);
        return this.jobs.finish(job, now);
      }
      const detail = job.lastError ?? 'the deadline passed before the next attempt';
      return this.record(job, delivery, {
        delivered: false,
        reason: 'retries_exhausted' as FailureReasonOf<Outcome>,
        httpStatus: null,
        attempts: triedBefore,
        detail,
      });
    }
    const outcome = await delivery.send();
    const next = followUp(outcome, job.attempts, new Date(), deadline, backoffDelay(job.attempts, this.settings.retry));
    deliveryAttempts.inc({
      queue: job.queue,
      channel: delivery.channel,
      outcome: next.action === 'retry' ? 'retried' : next.result.delivered ? 'delivered' : 'failed',
    });
    if (next.action === 'retry') {
      this.logger.warn(`${delivery.description}, attempt ${job.attempts}: ${next.lastError}`);
      return this.jobs.retryLater(job, next.at, next.lastError);
    }
    await this.record(job, delivery, next.result);
  }

  /** The outcome becomes an event and the job ends, in one statement. */
  private async record(
    job: DeliveryJob,
    delivery: PreparedDelivery<Outcome>,
    result: DeliveryResult<FailureReasonOf<Outcome>>,
  ): Promise<void> {
    const now = new Date();
    const recorded = await delivery.record(result, this.jobs.finishing(job, now));
    if (!recorded) {
      this.logger.log(`${delivery.description}: ended, nothing recorded (the request moved on, or it was recorded)`);
      return this.jobs.finish(job, now);
    }
    if (result.delivered) {
      this.logger.log(`${delivery.description}: delivered (${result.httpStatus}) after ${result.attempts} attempt(s)`);
    } else {
      this.logger.warn(
        `${delivery.description}: failed (${result.reason}) after ${result.attempts} attempt(s): ${result.detail}`,
      );
    }
  }
}

/** Deliveries in progress at once per process and queue: a slow recipient holds one, never the others. */
const MAX_CONCURRENT_DELIVERIES = 32;

/**
 * The DeliveryWorker of one channel, as a provider of the module that has the channel; inject it
 * as DeliveryWorker there (to wake it). Its settings are the CLIENT_NOTIFICATION_* configuration,
 * which both kinds of delivery share.
 */
export function deliveryWorkerFor(channel: Type<DeliveryChannel<DeliveryOutcome>>): Provider {
  return {
    provide: DeliveryWorker,
    inject: [DeliveryJobs, channel, BACKCHANNEL_CONFIG],
    useFactory: (jobs: DeliveryJobs, delivery: DeliveryChannel<DeliveryOutcome>, config: BackchannelConfig) => {
      const name = `DeliveryWorker(${delivery.queue})`;
      const { leaseSeconds, timeoutMs, pollIntervalMs, retry } = config.clientNotification;
      if (leaseSeconds * 1_000 < 2 * timeoutMs) {
        // a lease that lapses while its POST is still running lets another worker send it again
        new Logger(name).warn(
          'CLIENT_NOTIFICATION_LEASE_SECONDS is short for CLIENT_NOTIFICATION_TIMEOUT_MS: deliveries may be sent twice',
        );
      }
      const settings = {
        name,
        leaseMs: leaseSeconds * 1_000,
        pollIntervalMs,
        retry,
        maxConcurrent: MAX_CONCURRENT_DELIVERIES,
      };
      return new DeliveryWorker(jobs, delivery, settings);
    },
  };
}
