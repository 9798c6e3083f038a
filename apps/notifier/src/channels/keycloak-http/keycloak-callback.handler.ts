import { Injectable, Logger } from '@nestjs/common';
import { type AuthRequestCommand, authRequestDecider } from '@backchannel/auth-request';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { InvalidRequest, OAuthError } from '@backchannel/oauth';
import { PendingRequestsRepository } from '../../pending-requests/pending-requests.repository.js';
import { ChannelCallbackTokens, type CallbackGrant } from './channel-callback-tokens.repository.js';
import { KEYCLOAK_CHANNEL_RESULTS, type KeycloakChannelResult } from './keycloak-channel-request.js';

/** RFC 6750 invalid_token, with Keycloak's statuses: 401 without a token, 403 for a bad or used one. */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  constructor(readonly status: 401 | 403) {
    super('Invalid token');
  }
}

/** Raised inside the decision's transaction when a concurrent callback spent the token first. */
class TokenAlreadySpent extends Error {}

/**
 * The callback of the Keycloak-compatible channel: the backend reports the user's result with
 * the bearer token it was sent. SUCCEED approves with channel evidence; UNAUTHORIZED and
 * CANCELLED deny (authentication_failed, cancelled). The approver is the token's device's user,
 * which the decider checks against the request's subject. Answers as Keycloak's
 * BackchannelAuthenticationCallbackEndpoint does: 401 without a token, 403 for an unknown, used
 * or expired token or a request no longer pending, 400 without a valid status, else 200.
 */
@Injectable()
export class KeycloakCallbackHandler {
  private readonly logger = new Logger(KeycloakCallbackHandler.name);

  constructor(
    private readonly store: PostgresEventStore,
    private readonly callbackTokens: ChannelCallbackTokens,
    private readonly pendingRequests: PendingRequestsRepository,
  ) {}

  async report(token: string | null, body: unknown, correlationId: string): Promise<void> {
    if (token === null) throw new InvalidToken(401);
    const now = new Date();
    const grant = await this.callbackTokens.find(token, now);
    if (!grant) throw new InvalidToken(403);
    const result = resultOf(body);
    if (!result) throw new InvalidRequest('Invalid authentication status');

    const decided = await handleCommand(
      this.store,
      grant.streamId,
      authRequestDecider,
      commandFor(result, grant, now, correlationId),
      {
        inTransaction: async (tx, _events, state) => {
          if (!(await this.callbackTokens.spend(tx, token, now))) throw new TokenAlreadySpent();
          if (state.status === 'Empty') return;
          await this.pendingRequests.setStatus(
            tx,
            state.request.requestId,
            result === 'SUCCEED' ? 'approved' : 'denied',
          );
        },
      },
    ).catch((error: unknown) => {
      if (error instanceof TokenAlreadySpent) throw new InvalidToken(403);
      throw error;
    });
    if (decided.outcome === 'rejected') {
      this.logger.log(`channel result ${result} for ${grant.deviceId} refused: ${decided.rejection.code}`);
      throw new InvalidToken(403);
    }
  }
}

function resultOf(body: unknown): KeycloakChannelResult | null {
  const status = typeof body === 'object' && body !== null ? (body as { status?: unknown }).status : undefined;
  return KEYCLOAK_CHANNEL_RESULTS.find((known) => known === status) ?? null;
}

function commandFor(
  result: KeycloakChannelResult,
  { subject, deviceId }: CallbackGrant,
  now: Date,
  correlationId: string,
): AuthRequestCommand {
  const metadata = { now: now.toISOString(), correlationId, actor: `device:${deviceId}` };
  switch (result) {
    case 'SUCCEED':
      return {
        type: 'GiveConsent',
        data: { subject, deviceId, evidence: { method: 'channel', channel: 'keycloak-http' } },
        metadata,
      };
    case 'UNAUTHORIZED':
      return { type: 'DenyConsent', data: { subject, deviceId, reason: 'authentication_failed' }, metadata };
    case 'CANCELLED':
      return { type: 'DenyConsent', data: { subject, deviceId, reason: 'cancelled' }, metadata };
    default: {
      const unknownResult: never = result;
      throw new Error(`unhandled channel result ${String(unknownResult)}`);
    }
  }
}
