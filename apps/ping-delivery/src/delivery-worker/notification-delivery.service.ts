import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type AuthRequestState,
  type ClientNotificationResult,
  type DueClientNotification,
  authRequestDecider,
  foldAuthRequest,
} from '@backchannel/auth-request';
import { BACKCHANNEL_CONFIG, type BackchannelConfig, type ClientNotificationConfig } from '@backchannel/config';
import { PayloadSealer } from '@backchannel/crypto';
import type { NotificationSender } from '@backchannel/egress';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import type { AuthRequestEvent, NotificationSecrets, PushedTokens, RecordedEvent } from '@backchannel/events';
import { backoffDelay, shortDetail } from '@backchannel/messaging';
import { type ClaimedJob, DeliveryJobsRepository } from '../delivery-jobs/delivery-jobs.repository.js';
import { type DeliveryPlan, followUp, planDelivery } from './delivery-plan.js';
import { notificationPayload } from './notification-payload.js';

const ACTOR = 'system:ping-delivery';

/** Injection token of the NotificationSender that calls clients' endpoints (EgressHttpClient). */
export const NOTIFICATION_SENDER = Symbol('NOTIFICATION_SENDER');

type RequestState = Exclude<AuthRequestState, { status: 'Empty' }>;
type Sending = Extract<DeliveryPlan, { action: 'send' }>;

/** What the stream says, as read at the start of a job. */
interface StreamSnapshot {
  state: AuthRequestState;
  version: number;
  events: RecordedEvent<AuthRequestEvent>[];
}

/**
 * Works one claimed job: reads the request's stream, sends the notification it owes the client,
 * and records the outcome as an event in the same transaction that ends the job. A crash between
 * the POST and that commit leaves the job leased: it is sent again once the lease lapses (the
 * at-least-once contract), and recorded once, since the decider accepts only the first outcome.
 * Logs name the request by its requestId: never the auth_req_id, a token or a body.
 */
@Injectable()
export class NotificationDelivery {
  private readonly logger = new Logger(NotificationDelivery.name);
  private readonly settings: ClientNotificationConfig;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly sealer: PayloadSealer,
    private readonly jobs: DeliveryJobsRepository,
    @Inject(NOTIFICATION_SENDER) private readonly sender: NotificationSender,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.settings = config.clientNotification;
  }

  /**
   * Never throws. A failure of ours (the database, a payload that does not open with this key) is
   * logged and the job retried with backoff, however long: it is not the client's fault. When
   * even that cannot be written, the lease lapses and the job is claimed again.
   */
  async deliver(job: ClaimedJob): Promise<void> {
    let requestId: string | null = null;
    try {
      const snapshot = await this.readStream(job.streamId);
      if (snapshot.state.status !== 'Empty') requestId = snapshot.state.request.requestId;
      await this.work(job, snapshot);
    } catch (error) {
      const detail = shortDetail(`${(error as Error).name}: ${(error as Error).message}`);
      this.logger.error(`delivery of ${requestId ?? job.streamId} failed (attempt ${job.attempts}): ${detail}`);
      const retryAt = new Date(Date.now() + backoffDelay(job.attempts, this.settings.retry));
      await this.jobs.retryLater(job, retryAt, detail).catch(() => undefined);
    }
  }

  private async readStream(streamId: string): Promise<StreamSnapshot> {
    const { events, currentVersion } = await this.store.readStream<AuthRequestEvent>(streamId);
    return { state: foldAuthRequest(events), version: currentVersion, events };
  }

  private async work(job: ClaimedJob, snapshot: StreamSnapshot): Promise<void> {
    const now = new Date();
    const plan = planDelivery(snapshot.state, now, this.settings.expiryGraceSeconds * 1_000);
    switch (plan.action) {
      case 'finish':
        return this.jobs.finish(job, now);
      case 'wait':
        return this.waitFor(job, plan.until, snapshot.version);
      case 'send':
        // planDelivery sends only for a request that exists
        return this.send(job, snapshot.state as RequestState, plan, snapshot.events);
      default: {
        const unknownPlan: never = plan;
        throw new Error(`unhandled plan ${(unknownPlan as { action: string }).action}`);
      }
    }
  }

  /**
   * Gives the job back until `until`. A decision recorded while this job was leased made nothing
   * due (the row was already due), so the stream is read again after the release: if it grew,
   * the job is due again at once instead of waiting for expiry.
   */
  private async waitFor(job: ClaimedJob, until: Date, versionRead: number): Promise<void> {
    await this.jobs.release(job, until);
    const { currentVersion } = await this.store.readStream(job.streamId);
    if (currentVersion > versionRead) await this.jobs.makeDue(job, new Date());
  }

  private async send(
    job: ClaimedJob,
    state: RequestState,
    { notification, deadline }: Sending,
    events: RecordedEvent<AuthRequestEvent>[],
  ): Promise<void> {
    const { requestId, clientNotification: target } = state.request;
    if (!target) throw new Error('the request has no notification endpoint');
    const secrets = await this.sealer.open<NotificationSecrets>(target.sealedSecrets, job.streamId);
    const sealedTokens = state.status === 'Issued' ? state.issuance.sealedTokens : null;
    const pushedTokens =
      notification.kind === 'push_tokens' && sealedTokens
        ? await this.sealer.open<PushedTokens>(sealedTokens, job.streamId)
        : null;
    const outcome = await this.sender.postJson({
      url: target.endpoint,
      bearerToken: secrets.clientNotificationToken,
      body: notificationPayload(notification, secrets.authReqId, pushedTokens),
    });
    const now = new Date();
    const next = followUp(outcome, job.attempts, now, deadline, backoffDelay(job.attempts, this.settings.retry));
    if (next.action === 'retry') {
      this.logger.warn(`${describe(notification)} for ${requestId}, attempt ${job.attempts}: ${next.lastError}`);
      return this.jobs.retryLater(job, next.at, next.lastError);
    }
    await this.record(job, requestId, notification, next.result, events);
  }

  /** The outcome becomes an event and the job ends, in one transaction. */
  private async record(
    job: ClaimedJob,
    requestId: string,
    notification: DueClientNotification,
    result: ClientNotificationResult,
    events: RecordedEvent<AuthRequestEvent>[],
  ): Promise<void> {
    const now = new Date();
    const recorded = await handleCommand(
      this.store,
      job.streamId,
      authRequestDecider,
      {
        type: 'RecordClientNotification',
        data: { notification, result },
        metadata: {
          now: now.toISOString(),
          correlationId: events[0]!.metadata.correlationId,
          causationId: events.at(-1)!.eventId,
          actor: ACTOR,
        },
      },
      { inTransaction: (tx) => this.jobs.finish(job, now, tx) },
    );
    const summary = `${describe(notification)} for ${requestId}`;
    if (recorded.outcome === 'rejected') {
      // the request changed since it was read (a decision stamped before expiry by another clock)
      this.logger.warn(`${summary} sent but not recorded: ${recorded.rejection.code}`);
    } else if (result.delivered) {
      this.logger.log(`${summary} delivered (${result.httpStatus}) after ${result.attempts} attempt(s)`);
    } else {
      this.logger.warn(`${summary} failed (${result.reason}) after ${result.attempts} attempt(s): ${result.detail}`);
    }
    // no event was appended (rejected, or another worker recorded first): the job ends on its own
    if (recorded.outcome === 'rejected' || recorded.events.length === 0) await this.jobs.finish(job, now);
  }
}

function describe(notification: DueClientNotification): string {
  return notification.kind === 'push_error' ? `push_error ${notification.error}` : notification.kind;
}
