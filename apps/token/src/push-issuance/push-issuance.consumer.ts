import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type RequestedAuthentication, foldAuthRequest } from '@backchannel/auth-request';
import { PayloadSealer } from '@backchannel/crypto';
import { PostgresEventStore } from '@backchannel/event-store';
import {
  type AuthRequestEvent,
  type ConsentGiven,
  type NotificationSecrets,
  type RecordedEvent,
  Topics,
} from '@backchannel/events';
import { EventHandlerRunner } from '@backchannel/messaging';
import { TokenMinter } from '../token-minting/token-minter.js';

/** The token service's consumer group on the auth-request topic (and its dead-letter topic's suffix). */
export const TOKEN_CONSUMER_GROUP = 'backchannel-token';

/**
 * Push mode (CIBA §10.3): once the user approves, the tokens are minted here and recorded, sealed
 * to the stream, in TokensIssued, which ping-delivery forwards to the client. A redelivered or
 * concurrent ConsentGiven finds the request issued and the decider refuses a second issuance; an
 * approval handled at or after expiry issues nothing (ping-delivery then pushes the error).
 * Poll and ping clients redeem at /token, so their requests are left alone.
 */
@Controller()
export class PushIssuanceConsumer {
  private readonly logger = new Logger(PushIssuanceConsumer.name);

  constructor(
    private readonly store: PostgresEventStore,
    private readonly runner: EventHandlerRunner,
    private readonly minter: TokenMinter,
    private readonly sealer: PayloadSealer,
  ) {}

  @EventPattern(Topics.authRequests)
  async onAuthRequestEvent(@Payload() event: RecordedEvent<AuthRequestEvent>): Promise<void> {
    if (event.type !== 'ConsentGiven') return;
    await this.runner.run(event, TOKEN_CONSUMER_GROUP, () => this.issueForPush(event));
  }

  private async issueForPush(event: RecordedEvent<ConsentGiven>): Promise<void> {
    const request = await this.pushRequest(event.streamId);
    if (!request) return;
    if (!request.clientNotification) throw new Error(`push request ${request.requestId} has no notification target`);
    const { authReqId } = await this.sealer.open<NotificationSecrets>(
      request.clientNotification.sealedSecrets,
      event.streamId,
    );
    const result = await this.minter.issue(event.streamId, {
      clientId: request.clientId,
      now: new Date(),
      origin: { correlationId: event.metadata.correlationId, causationId: event.eventId, actor: 'system:token' },
      push: { authReqId, streamId: event.streamId },
    });
    // Already issued (a redelivery) or expired: nothing to do, and not a failure.
    if (result.outcome === 'rejected') {
      this.logger.log(`no tokens for push request ${request.requestId}: ${result.rejection.code}`);
    }
  }

  /** The request behind the stream when it is in push mode; ConsentGiven does not say the mode. */
  private async pushRequest(streamId: string): Promise<RequestedAuthentication | null> {
    const state = foldAuthRequest((await this.store.readStream<AuthRequestEvent>(streamId)).events);
    return state.status !== 'Empty' && state.request.deliveryMode === 'push' ? state.request : null;
  }
}
