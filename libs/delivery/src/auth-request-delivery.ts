import {
  type AuthRequestState,
  type RecordClientNotification,
  type RecordNotificationFailed,
  type RecordUserNotified,
  authRequestDecider,
} from '@backchannel/auth-request';
import {
  type AlongsideWrites,
  PostgresEventStore,
  type StreamState,
  handleCommand,
  readStreamState,
} from '@backchannel/event-store';
import type { AuthRequestEvent, RecordedEvent } from '@backchannel/events';
import type { DeliveryOutcome } from './attempt-follow-up.js';
import type { DeliveryJob, DeliveryQueue } from './delivery-jobs.repository.js';
import type { DeliveryChannel, DeliveryPlan } from './delivery-worker.js';

/** A request's stream as a delivery read it: its state, its version, its events. */
export type AuthRequestStream = StreamState<AuthRequestState> & { events: RecordedEvent<AuthRequestEvent>[] };

/** How a delivery ended, as a command to the decider (its metadata is the delivery's). */
export type DeliveryOutcomeCommand =
  | Pick<RecordUserNotified, 'type' | 'data'>
  | Pick<RecordNotificationFailed, 'type' | 'data'>
  | Pick<RecordClientNotification, 'type' | 'data'>;

/**
 * A delivery of a CIBA request (to its client, or to one of its user's devices): the request's
 * stream is read once per attempt, the decider says what is owed, and the outcome is recorded
 * through the decider on the state that was read, so the stream is read again only if it moved
 * on meanwhile.
 */
export abstract class AuthRequestDelivery<
  Outcome extends DeliveryOutcome,
  Context = undefined,
> implements DeliveryChannel<Outcome> {
  abstract readonly queue: DeliveryQueue;

  /** `actor`: who records the outcomes (`system:<service>`). */
  constructor(
    protected readonly store: PostgresEventStore,
    private readonly actor: string,
  ) {}

  async plan(job: DeliveryJob, now: Date): Promise<DeliveryPlan<Outcome>> {
    // read together: both statements leave in one write, one round trip before the attempt
    const [stream, context] = await Promise.all([
      readStreamState(this.store, job.streamId, authRequestDecider),
      this.contextOf(job),
    ]);
    const plan = await this.planFor(job, stream, now, context);
    if (plan.action !== 'send' || stream.events.length === 0) return plan;
    // the attempt joins the request: its correlation id and trace (see DeliveryWorker)
    const { correlationId, traceparent } = stream.events[0]!.metadata;
    return { ...plan, delivery: { ...plan.delivery, origin: { correlationId, traceparent } } };
  }

  /** What a plan needs besides the stream (the recipient's settings), read beside it; nothing by default. */
  protected contextOf(_job: DeliveryJob): Promise<Context> {
    return Promise.resolve(undefined as Context);
  }

  /** What the job owes, as the decider sees the stream. */
  protected abstract planFor(
    job: DeliveryJob,
    stream: AuthRequestStream,
    now: Date,
    context: Context,
  ): Promise<DeliveryPlan<Outcome>>;

  /**
   * Records an outcome caused by `cause` (an event of the stream), with `finishJob` in its
   * transaction; false when the decider recorded nothing.
   */
  protected async recordOutcome(
    job: DeliveryJob,
    stream: AuthRequestStream,
    cause: RecordedEvent<AuthRequestEvent>,
    outcome: DeliveryOutcomeCommand,
    finishJob: AlongsideWrites,
  ): Promise<boolean> {
    const metadata = {
      now: new Date().toISOString(),
      correlationId: stream.events[0]!.metadata.correlationId,
      causationId: cause.eventId,
      actor: this.actor,
    };
    const recorded = await handleCommand(
      this.store,
      job.streamId,
      authRequestDecider,
      { ...outcome, metadata },
      {
        from: stream,
        alongside: finishJob,
      },
    );
    return recorded.outcome === 'accepted' && recorded.events.length > 0;
  }
}
