import { Inject, Injectable } from '@nestjs/common';
import type { AuthRequestState, DueClientNotification } from '@backchannel/auth-request';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, ShreddablePayloads } from '@backchannel/crypto';
import {
  AuthRequestDelivery,
  type AuthRequestStream,
  type DeliveryJob,
  type DeliveryPlan,
} from '@backchannel/delivery';
import { EgressHttpClient, type HttpPostOutcome } from '@backchannel/egress';
import { PostgresEventStore } from '@backchannel/event-store';
import type { NotificationSecrets, PushedTokens } from '@backchannel/events';
import { planClientNotification } from './client-notification-plan.js';
import { notificationPayload } from './notification-payload.js';

/**
 * ping-delivery's part of the delivery pipeline: a job per ping or push request. The decider says
 * what the client is owed now (planClientNotification, from clientNotificationDue); the secrets are
 * opened and the notification POSTed; the outcome is recorded (ClientNotified, TokensPushed or
 * ClientNotificationFailed). Logs name the request by its requestId: never the auth_req_id, a token
 * or a body.
 */
@Injectable()
export class ClientNotificationDelivery extends AuthRequestDelivery<HttpPostOutcome> {
  readonly queue = 'client-notification';
  private readonly graceMs: number;

  constructor(
    store: PostgresEventStore,
    private readonly sealer: PayloadSealer,
    private readonly payloads: ShreddablePayloads,
    private readonly egress: EgressHttpClient,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    super(store, 'system:ping-delivery');
    this.graceMs = config.clientNotification.expiryGraceSeconds * 1_000;
  }

  protected async planFor(
    job: DeliveryJob,
    stream: AuthRequestStream,
    now: Date,
  ): Promise<DeliveryPlan<HttpPostOutcome>> {
    const { state } = stream;
    const plan = planClientNotification(state, now, this.graceMs);
    if (plan.action !== 'send') return plan;
    // planClientNotification sends only for a request that exists
    if (state.status === 'Empty') return { action: 'finish', why: 'nothing_owed' };
    const { notification } = plan;
    return {
      action: 'send',
      deadline: plan.deadline,
      delivery: {
        description: `${describe(notification)} for ${state.request.requestId}`,
        channel: notification.kind === 'ping' ? 'ping' : 'push',
        send: () => this.send(job.streamId, state, notification),
        // caused by what made it due: the answer or the issuance, the last event read
        record: async (result, finishJob) => {
          const recorded = await this.recordOutcome(
            job,
            stream,
            stream.events.at(-1)!,
            { type: 'RecordClientNotification', data: { notification, result } },
            finishJob,
          );
          // the tokens were pushed, or never will be: from now on nothing opens them (crypto-shredding)
          if (notification.kind === 'push_tokens') await this.payloads.shred(job.streamId);
          return recorded;
        },
      },
    };
  }

  private async send(
    streamId: string,
    state: Exclude<AuthRequestState, { status: 'Empty' }>,
    notification: DueClientNotification,
  ): Promise<HttpPostOutcome> {
    const target = state.request.clientNotification;
    if (!target) throw new Error('the request has no notification endpoint');
    const secrets = await this.sealer.open<NotificationSecrets>(target.sealedSecrets, streamId);
    const sealedTokens = state.status === 'Issued' ? state.issuance.sealedTokens : null;
    const pushedTokens =
      notification.kind === 'push_tokens' && sealedTokens
        ? await this.payloads.open<PushedTokens>(sealedTokens, streamId)
        : null;
    return this.egress.postJson({
      url: target.endpoint,
      bearerToken: secrets.clientNotificationToken,
      body: notificationPayload(notification, secrets.authReqId, pushedTokens),
    });
  }
}

function describe(notification: DueClientNotification): string {
  return notification.kind === 'push_error' ? `push_error ${notification.error}` : notification.kind;
}
