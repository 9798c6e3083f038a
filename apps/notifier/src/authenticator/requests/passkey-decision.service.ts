import { BadRequestException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { type RequestedAuthentication, authRequestDecider, isExpired } from '@backchannel/auth-request';
import { randomToken } from '@backchannel/crypto';
import { PostgresEventStore } from '@backchannel/event-store';
import type { AuthRequestEvent, AuthenticationEvidence } from '@backchannel/events';
import { decisionError, unknownRequest } from '../../device-api/decision-error.js';
import { DeviceDecisionHandler } from '../../device-api/device-decision.handler.js';
import type { AuthenticatedDevice } from '../../device-api/device-token.guard.js';
import {
  PasskeyRelyingParty,
  PasskeyVerificationError,
  passkeyResponseSchema,
} from '../passkeys/passkey-relying-party.js';
import { PasskeysRepository } from '../passkeys/passkeys.repository.js';
import { parseBody } from '../request-body.js';
import { AUTHENTICATOR_DECISIONS, challengeHash, decisionChallenge } from './decision-challenge.js';
import { DecisionNoncesRepository } from './decision-nonces.repository.js';

const decision = z.enum(AUTHENTICATOR_DECISIONS);
const challengeRequestSchema = z.strictObject({ decision });
const decisionRequestSchema = z.strictObject({ decision, response: passkeyResponseSchema });

/** Long enough to read the passkey prompt, short enough that a stray challenge soon lapses. */
const DECISION_NONCE_TTL_MS = 120_000;

/**
 * Decisions in the built-in authenticator, each signed with the device's passkey. The challenge is
 * derived from the request as recorded in its stream (never from what the page sends), the
 * decision and a single-use nonce, so a verified assertion proves what the user saw and chose; the
 * answer is then recorded by the device API's handler, with the evidence when approving.
 */
@Injectable()
export class PasskeyDecisionService {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly decisions: DeviceDecisionHandler,
    private readonly nonces: DecisionNoncesRepository,
    private readonly passkeys: PasskeysRepository,
    private readonly relyingParty: PasskeyRelyingParty,
  ) {}

  /** Authentication options whose challenge covers the request, the decision and a new nonce. */
  async challenge(
    device: AuthenticatedDevice,
    requestId: string,
    body: unknown,
    now: Date,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { decision } = parseBody(challengeRequestSchema, body, '{"decision": "approve" | "deny" | "not_me"}');
    const pending = await this.decisions.requestOf(device, requestId);
    const request = await this.recordedRequest(pending.streamId, device, now);
    const passkeys = await this.passkeys.ofDevice(device.deviceId);
    if (passkeys.length === 0) {
      throw new BadRequestException('This device has no passkey: enrol it in the authenticator first.');
    }
    const nonce = randomToken(32);
    await this.nonces.issue(requestId, device.deviceId, nonce, new Date(now.getTime() + DECISION_NONCE_TTL_MS), now);
    return this.relyingParty.authenticationOptions(decisionChallenge({ ...request, decision, nonce }), passkeys);
  }

  /** Verifies the assertion over the challenge last given for the request, then records the answer. */
  async decide(
    device: AuthenticatedDevice,
    requestId: string,
    body: unknown,
    correlationId: string,
    now: Date,
  ): Promise<void> {
    const { decision, response } = parseBody(
      decisionRequestSchema,
      body,
      '{"decision": "approve" | "deny" | "not_me", "response": <the passkey assertion>}',
    );
    const pending = await this.decisions.requestOf(device, requestId);
    const nonce = await this.nonces.take(requestId, device.deviceId, now);
    if (nonce === null)
      throw new BadRequestException('There is no open challenge for this request: ask for a new one.');
    const request = await this.recordedRequest(pending.streamId, device, now);
    const passkey = await this.passkeys.find(response.id);
    // the approver must be the user the hint named, on the device the passkey was enrolled with
    if (!passkey || passkey.deviceId !== device.deviceId || passkey.subject !== request.subject) {
      throw new UnauthorizedException('This passkey is not registered for this device and its user.');
    }
    const challenge = decisionChallenge({ ...request, decision, nonce });
    const assertion = await this.relyingParty
      .verifyAssertion(response as unknown as AuthenticationResponseJSON, challenge, passkey)
      .catch((error: unknown) => {
        if (error instanceof PasskeyVerificationError) {
          throw new UnauthorizedException(`The passkey signature could not be verified: ${error.message}.`);
        }
        throw error;
      });
    const evidence: AuthenticationEvidence = {
      method: 'webauthn',
      credentialId: passkey.credentialId,
      userVerified: assertion.userVerified,
      challengeHash: challengeHash(challenge),
      signCount: assertion.newCounter,
    };
    await this.decisions.answer(
      device,
      pending,
      { decision, ...(decision === 'approve' && { evidence }) },
      correlationId,
      (tx) => this.passkeys.recordCounter(tx, passkey.credentialId, assertion.newCounter),
    );
  }

  /**
   * The request as its stream recorded it: the only source of what a challenge covers. A request
   * that is not the device's user's is unknown; one no longer open is refused before any passkey
   * prompt (409 decided, 410 expired), as the device API answers.
   */
  private async recordedRequest(
    streamId: string,
    device: AuthenticatedDevice,
    now: Date,
  ): Promise<RequestedAuthentication> {
    const { events } = await this.store.readStream<AuthRequestEvent>(streamId);
    const state = events.reduce(authRequestDecider.evolve, authRequestDecider.initialState());
    if (state.status === 'Empty' || state.request.subject !== device.subject) throw unknownRequest();
    if (state.status !== 'Pending') throw decisionError({ code: 'already_decided', message: 'decided' });
    if (isExpired(state, now.toISOString())) throw decisionError({ code: 'expired', message: 'expired' });
    return state.request;
  }
}
