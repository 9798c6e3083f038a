import { Injectable, Logger } from '@nestjs/common';
import {
  ChannelCallbackTokens,
  KEYCLOAK_CHANNEL_RESULTS,
  type KeycloakChannelResult,
} from '@backchannel/device-channels';
import { DeviceRegistry } from '@backchannel/directory';
import type { FastifyRequest } from 'fastify';
import { FailedAuthenticationLimit } from '@backchannel/http';
import { InvalidRequest, InvalidToken } from '@backchannel/oauth';
import { AnswerRecorder, type UserAnswer } from '../answers/answer-recorder.js';

/** RFC 6750 invalid_token, with Keycloak's statuses: 401 without a token, 403 for a bad or used one. */
const invalidToken = (status: 401 | 403) => new InvalidToken('Invalid token', status);

/** Raised inside the answer's transaction when a concurrent callback spent the token first. */
class TokenAlreadySpent extends Error {}

/** What each result of the channel records: SUCCEED approves with the channel as evidence. */
const ANSWERS: Readonly<Record<KeycloakChannelResult, UserAnswer>> = {
  SUCCEED: { decision: 'approve', evidence: { method: 'channel', channel: 'keycloak-http' } },
  UNAUTHORIZED: { decision: 'deny', reason: 'authentication_failed' },
  CANCELLED: { decision: 'deny', reason: 'cancelled' },
};

/**
 * The callback of the Keycloak-compatible channel: the backend reports the user's result with the
 * bearer token it was sent, which names the request and the device; the answer goes through that
 * device's door (the channel callback). Answers as Keycloak's BackchannelAuthenticationCallbackEndpoint
 * does: 401 without a token, 403 for an unknown, used or expired token, a device that does not answer
 * through the channel, or a request no longer pending; 400 without a valid status; else 200.
 */
@Injectable()
export class KeycloakCallbackHandler {
  private readonly logger = new Logger(KeycloakCallbackHandler.name);

  constructor(
    private readonly callbackTokens: ChannelCallbackTokens,
    private readonly devices: DeviceRegistry,
    private readonly answers: AnswerRecorder,
    private readonly limit: FailedAuthenticationLimit,
  ) {}

  /** `request`: the callback's HTTP request (its id correlates the answer; its address is counted when the token fails). */
  async report(request: FastifyRequest, token: string | null, body: unknown): Promise<void> {
    if (token === null) throw invalidToken(401);
    const now = new Date();
    // a device credential like the device API's: an address that keeps failing is refused for a while
    const grant = await this.limit.authenticate(request, 'device', () => this.callbackTokens.find(token, now));
    if (!grant) throw invalidToken(403);
    const correlationId = request.id;
    const result = resultOf(body);
    if (!result) throw new InvalidRequest('Invalid authentication status');
    const device = await this.devices.find(grant.deviceId);
    if (!device) throw invalidToken(403);
    const recorded = await this.answers
      .record({
        device,
        door: 'channel_callback',
        streamId: grant.streamId,
        answer: ANSWERS[result],
        correlationId,
        now,
        alsoInTransaction: async (tx) => {
          if (!(await this.callbackTokens.spend(tx, token, now))) throw new TokenAlreadySpent();
        },
      })
      .catch((error: unknown) => {
        if (error instanceof TokenAlreadySpent) throw invalidToken(403);
        throw error;
      });
    if (recorded.outcome === 'refused') {
      this.logger.log(`channel result ${result} for ${grant.deviceId} refused: ${recorded.refusal.code}`);
      throw invalidToken(403);
    }
  }
}

function resultOf(body: unknown): KeycloakChannelResult | null {
  const status = typeof body === 'object' && body !== null ? (body as { status?: unknown }).status : undefined;
  return KEYCLOAK_CHANNEL_RESULTS.find((known) => known === status) ?? null;
}
