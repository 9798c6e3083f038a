import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AuthRequestCommandMetadata,
  type AuthRequestRejection,
  type AuthRequestState,
  type IssueTokens,
  authRequestDecider,
} from '@backchannel/auth-request';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, TokenSigner } from '@backchannel/crypto';
import { PostgresEventStore, type StreamState, handleCommand, readStreamState } from '@backchannel/event-store';
import type { AccessTokenConfirmation, PushedTokens, TokensIssued } from '@backchannel/events';
import { authenticationClaims } from './authentication-claims.js';

/** The token endpoint's answer (CIBA §10.1.1) has the members of the push body without auth_req_id (§10.3.1). */
export type TokenResponse = PushedTokens;

/** The claim that ties a pushed ID token to its request (CIBA §10.3.1). */
export const AUTH_REQ_ID_CLAIM = 'urn:openid:params:jwt:claim:auth_req_id';

export interface IssuanceRequest {
  /** The client the tokens are for: the one that redeems at /token, or the push request's client. */
  clientId: string;
  now: Date;
  /** Correlation, causation and actor of the IssueTokens command. */
  origin: Omit<AuthRequestCommandMetadata, 'now'>;
  /** Push mode: the ID token names the auth_req_id, and the tokens are sealed to the stream for ping-delivery. */
  push?: { authReqId: string };
  /** A certificate-bound access token's `cnf` (RFC 8705); absent: a bearer token. */
  confirmation?: AccessTokenConfirmation | null;
}

export type IssuanceResult =
  | { outcome: 'issued'; tokens: TokenResponse }
  | { outcome: 'rejected'; rejection: AuthRequestRejection; state: AuthRequestState };

type Issued = TokensIssued['data'];
type Consent = Extract<AuthRequestState, { status: 'Approved' }>['consent'];

/**
 * The one place tokens are minted, for the /token grant and for push mode alike. The decider is
 * asked first, on the state read, so nothing is signed for a request that is pending, denied,
 * expired, redeemed or another client's. Once it says yes, the tokens are signed, once, for what
 * its TokensIssued records (token ids, subject, scope, expiry; the consent's time and evidence),
 * and the command, now carrying the sealed push payload, is appended with the expected version.
 * If the stream moved on meanwhile it is decided again on the new state: a concurrent redemption
 * leaves this one rejected, and its tokens, never shown, are dropped.
 */
@Injectable()
export class TokenMinter {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly signer: TokenSigner,
    private readonly sealer: PayloadSealer,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  /** `read`: the stream's state when the caller has just read it (push issuance looks at the request first). */
  async issue(
    streamId: string,
    request: IssuanceRequest,
    read?: StreamState<AuthRequestState>,
  ): Promise<IssuanceResult> {
    const stream = read ?? (await readStreamState(this.store, streamId, authRequestDecider));
    const command = this.issueTokens(request);
    const decision = authRequestDecider.decide(command, stream.state);
    if (decision.outcome === 'rejected') {
      return { outcome: 'rejected', rejection: decision.rejection, state: stream.state };
    }
    if (stream.state.status !== 'Approved') throw new Error('tokens decided for a request that is not approved');
    const issued = decision.events[0]!.data as Issued;
    const tokens = await this.sign(issued, stream.state.consent, request);
    const sealedTokens = request.push ? await this.sealer.seal(tokens, streamId) : null;
    const result = await handleCommand(
      this.store,
      streamId,
      authRequestDecider,
      { ...command, data: { ...command.data, sealedTokens } },
      { from: stream },
    );
    if (result.outcome === 'rejected') return result;
    return { outcome: 'issued', tokens };
  }

  /** The command, from what the caller knows: the client, fresh token ids, the time. */
  private issueTokens(request: IssuanceRequest): IssueTokens {
    const accessTokenExpiresAt = new Date(request.now.getTime() + this.config.accessTokenTtlSeconds * 1000);
    return {
      type: 'IssueTokens',
      data: {
        clientId: request.clientId,
        accessTokenId: randomUUID(),
        idTokenId: randomUUID(),
        accessTokenExpiresAt: accessTokenExpiresAt.toISOString(),
        sealedTokens: null,
        ...(request.confirmation && { confirmation: request.confirmation }),
      },
      metadata: { ...request.origin, now: request.now.toISOString() },
    };
  }

  /** The tokens of what the decider decided to record, with the consent's authentication claims. */
  private async sign(issued: Issued, consent: Consent, request: IssuanceRequest): Promise<TokenResponse> {
    const { issuer, accessTokenTtlSeconds, idTokenTtlSeconds } = this.config;
    const { subject, grantedScope, clientId, accessTokenId, idTokenId, confirmation } = issued;
    const accessToken = await this.signer.signAccessToken({
      issuer,
      audience: issuer,
      subject,
      clientId,
      scope: grantedScope,
      jti: accessTokenId,
      issuedAt: request.now,
      expiresInSeconds: accessTokenTtlSeconds,
      ...(confirmation && { confirmation: { ...confirmation } }),
    });
    const idToken = await this.signer.signIdToken({
      issuer,
      subject,
      clientId,
      authTime: new Date(consent.authenticatedAt),
      ...authenticationClaims(consent.evidence),
      issuedAt: request.now,
      expiresInSeconds: idTokenTtlSeconds,
      jti: idTokenId!,
      accessToken,
      ...(request.push && { extraClaims: { [AUTH_REQ_ID_CLAIM]: request.push.authReqId } }),
    });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: accessTokenTtlSeconds,
      id_token: idToken,
      scope: grantedScope.join(' '),
    };
  }
}
