import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ClientRegistry, receivesRefreshTokens } from '@backchannel/clients';
import { PayloadSealer } from '@backchannel/crypto';
import { authRequestDecider } from '@backchannel/auth-request';
import { PostgresEventStore, readStreamState } from '@backchannel/event-store';
import {
  type AuthRequested,
  type ConsentGiven,
  type NotificationSecrets,
  type RecordedEvent,
  Topics,
} from '@backchannel/events';
import { ConsumerHandler, type EventBatch, EventHandlerRunner, eventConsumer } from '@backchannel/messaging';
import { TokenMinter } from '../token-minting/token-minter.js';
import { PushIssuances } from './push-issuances.repository.js';

/** The token service's consumer group: push requests, and approvals. */
export const TOKEN_CONSUMER = eventConsumer('backchannel-token', Topics.authRequests, [
  'AuthRequested',
  'ConsentGiven',
]);

/**
 * Push mode (CIBA §10.3): once the user approves, the tokens are minted here and recorded, sealed
 * to the stream, in TokensIssued, which ping-delivery forwards to the client. A push request is
 * noted when it is made (push_issuances), so an approval of any other request is recognised as
 * nothing to do without reading its stream (a batch's are looked up in one statement). A redelivered or concurrent ConsentGiven finds the
 * request issued and the decider refuses a second issuance; an approval handled at or after expiry
 * issues nothing (ping-delivery then pushes the error).
 */
@Controller()
export class PushIssuanceConsumer {
  private readonly logger = new Logger(PushIssuanceConsumer.name);

  constructor(
    private readonly store: PostgresEventStore,
    private readonly runner: EventHandlerRunner,
    private readonly pushIssuances: PushIssuances,
    private readonly minter: TokenMinter,
    private readonly sealer: PayloadSealer,
    private readonly clients: ClientRegistry,
  ) {}

  @ConsumerHandler(TOKEN_CONSUMER)
  async onAuthRequestEvents(@Payload() batch: EventBatch<RecordedEvent<AuthRequested | ConsentGiven>>): Promise<void> {
    await this.runner.runTogether(batch, TOKEN_CONSUMER.group, (events) => this.handle(events));
  }

  /** One statement notes the batch's push requests, one finds which approvals are of push requests. */
  private async handle(events: RecordedEvent<AuthRequested | ConsentGiven>[]): Promise<void> {
    const requested = events.filter((event): event is RecordedEvent<AuthRequested> => event.type === 'AuthRequested');
    await this.pushIssuances.expect(
      requested
        .filter((event) => event.data.deliveryMode === 'push')
        .map((event) => ({ streamId: event.streamId, expiresAt: event.data.expiresAt })),
      new Date(),
    );
    const approvals = events.filter((event): event is RecordedEvent<ConsentGiven> => event.type === 'ConsentGiven');
    const expected = await this.pushIssuances.expectedAmong(approvals.map((event) => event.streamId));
    for (const approval of approvals) if (expected.has(approval.streamId)) await this.issue(approval);
  }

  private async issue(event: RecordedEvent<ConsentGiven>): Promise<void> {
    const stream = await readStreamState(this.store, event.streamId, authRequestDecider);
    if (stream.state.status === 'Empty') throw new Error(`no request behind ${event.streamId}`);
    const { request } = stream.state;
    if (!request.clientNotification) throw new Error(`push request ${request.requestId} has no notification target`);
    const { authReqId } = await this.sealer.open<NotificationSecrets>(
      request.clientNotification.sealedSecrets,
      event.streamId,
    );
    const client = await this.clients.find(request.clientId);
    const issuance = {
      clientId: request.clientId,
      refreshToken: client !== null && receivesRefreshTokens(client),
      now: new Date(),
      origin: { correlationId: event.metadata.correlationId, causationId: event.eventId, actor: 'system:token' },
      push: { authReqId },
    };
    const result = await this.minter.issue(event.streamId, issuance, stream);
    // Already issued (a redelivery) or expired: nothing more to do, and not a failure.
    if (result.outcome === 'rejected') {
      this.logger.log(`no tokens for push request ${request.requestId}: ${result.rejection.code}`);
    }
    await this.pushIssuances.settle(event.streamId);
  }
}
