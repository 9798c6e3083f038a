import { BadRequestException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { requiresUserVerification } from '@backchannel/auth-request';
import { randomToken } from '@backchannel/crypto';
import type { Device } from '@backchannel/directory';
import type { AuthenticationEvidence } from '@backchannel/events';
import { type UserRequest, UserRequests, isOpen } from '@backchannel/user-requests';
import { AnswerRecorder, type UserAnswer } from '../../answers/answer-recorder.js';
import { DENIAL_REASONS } from '../../device-api/device-decision.js';
import { decisionError, unknownRequest } from '../../device-api/decision-error.js';
import {
  PasskeyRelyingParty,
  PasskeyVerificationError,
  passkeyResponseSchema,
} from '../passkeys/passkey-relying-party.js';
import { PasskeysRepository } from '../passkeys/passkeys.repository.js';
import { parseBody } from '../request-body.js';
import {
  AUTHENTICATOR_DECISIONS,
  type AuthenticatorDecision,
  challengeHash,
  decisionChallenge,
} from './decision-challenge.js';
import { DecisionNoncesRepository } from './decision-nonces.repository.js';
import { consentView } from './consent-wording.js';

const decision = z.enum(AUTHENTICATOR_DECISIONS);
const challengeRequestSchema = z.strictObject({ decision });
const decisionRequestSchema = z.strictObject({ decision, response: passkeyResponseSchema });

/** Long enough to read the passkey prompt, short enough that a stray challenge soon lapses. */
const DECISION_NONCE_TTL_MS = 120_000;

/**
 * Decisions in the built-in authenticator, each signed with the device's passkey. The challenge is
 * derived from the request as it was recorded (its row among the user's requests, written with
 * AuthRequested: never from what the page sends), the decision and a single-use nonce, so a
 * verified assertion proves what the user saw and chose. The answer is then recorded by the
 * AnswerRecorder, through the passkey door, with the evidence when approving.
 */
@Injectable()
export class PasskeyDecisionService {
  constructor(
    private readonly userRequests: UserRequests,
    private readonly answers: AnswerRecorder,
    private readonly nonces: DecisionNoncesRepository,
    private readonly passkeys: PasskeysRepository,
    private readonly relyingParty: PasskeyRelyingParty,
  ) {}

  /**
   * Authentication options whose challenge covers the request, the decision and a new nonce. A
   * request that is no longer open is refused before any passkey prompt, as the answer would be.
   */
  async challenge(
    device: Device,
    requestId: string,
    body: unknown,
    now: Date,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { decision } = parseBody(challengeRequestSchema, body, '{"decision": "approve" | "deny" | "not_me"}');
    const request = await this.requestOf(device, requestId);
    if (!isOpen(request, now)) {
      throw decisionError(
        request.answeredAt === null
          ? { code: 'expired', message: 'expired' }
          : { code: 'already_decided', message: 'decided' },
      );
    }
    const passkeys = await this.passkeys.ofDevice(device.deviceId);
    if (passkeys.length === 0) {
      throw new BadRequestException('This device has no passkey: enrol it in the authenticator first.');
    }
    const nonce = randomToken(32);
    await this.nonces.issue(requestId, device.deviceId, nonce, new Date(now.getTime() + DECISION_NONCE_TTL_MS), now);
    return this.relyingParty.authenticationOptions(
      decisionChallengeOf(request, decision, nonce),
      passkeys,
      requiresUserVerification(request.acrValues) ? 'required' : 'preferred',
    );
  }

  /** Verifies the assertion over the challenge last given for the request, then records the answer. */
  async decide(device: Device, requestId: string, body: unknown, correlationId: string, now: Date): Promise<void> {
    const { decision, response } = parseBody(
      decisionRequestSchema,
      body,
      '{"decision": "approve" | "deny" | "not_me", "response": <the passkey assertion>}',
    );
    const request = await this.requestOf(device, requestId);
    const nonce = await this.nonces.take(requestId, device.deviceId, now);
    if (nonce === null)
      throw new BadRequestException('There is no open challenge for this request: ask for a new one.');
    const passkey = await this.passkeys.find(response.id);
    // the passkey must be one enrolled with this device (whose user the decider holds to the request's)
    if (!passkey || passkey.deviceId !== device.deviceId) {
      throw new UnauthorizedException('This passkey is not registered for this device and its user.');
    }
    const challenge = decisionChallengeOf(request, decision, nonce);
    const assertion = await this.relyingParty
      .verifyAssertion(response as unknown as AuthenticationResponseJSON, challenge, passkey)
      .catch((error: unknown) => {
        if (error instanceof PasskeyVerificationError) {
          throw new UnauthorizedException('The passkey signature could not be verified.');
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
    const result = await this.answers.record({
      device,
      door: 'passkey',
      streamId: request.streamId,
      answer: answerOf(decision, evidence),
      correlationId,
      now,
      alsoInTransaction: (tx) => this.passkeys.recordUse(tx, passkey.credentialId, assertion.newCounter, now),
    });
    if (result.outcome === 'refused') throw decisionError(result.refusal);
  }

  /** The request, when it was made to the device's user; another user's reads as unknown (404). */
  private async requestOf(device: Device, requestId: string): Promise<UserRequest> {
    const request = await this.userRequests.find(requestId);
    if (!request || request.subject !== device.subject) throw unknownRequest();
    return request;
  }
}

/** The challenge over the request as the authenticator shows it (consentView), the decision and the nonce. */
function decisionChallengeOf(request: UserRequest, decision: AuthenticatorDecision, nonce: string): Uint8Array {
  return decisionChallenge({
    requestId: request.requestId,
    consent: consentView(request),
    bindingMessage: request.bindingMessage,
    decision,
    nonce,
  });
}

function answerOf(decision: AuthenticatorDecision, evidence: AuthenticationEvidence): UserAnswer {
  return decision === 'approve' ? { decision, evidence } : { decision: 'deny', reason: DENIAL_REASONS[decision] };
}
