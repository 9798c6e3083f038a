import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AuthRequestCommandMetadata,
  type AuthRequestRejection,
  type AuthRequestState,
  type IssueTokens,
  authRequestDecider,
  isExpired,
} from '@backchannel/auth-request';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, TokenSigner } from '@backchannel/crypto';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import type { PushedTokens } from '@backchannel/events';
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
  push?: { authReqId: string; streamId: string };
}

export type IssuanceResult =
  | { outcome: 'issued'; tokens: TokenResponse }
  | { outcome: 'rejected'; rejection: AuthRequestRejection; state: AuthRequestState };

type ApprovedState = Extract<AuthRequestState, { status: 'Approved' }>;

/**
 * The one place tokens are minted, for the /token grant and for push mode alike. Tokens are
 * signed for the state read, and only when it will accept IssueTokens; `TokensIssued` is then
 * appended with the expected version, so of concurrent issuances exactly one is recorded and the
 * others re-decide on the new state and are rejected.
 */
@Injectable()
export class TokenMinter {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly signer: TokenSigner,
    private readonly sealer: PayloadSealer,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  async issue(streamId: string, request: IssuanceRequest): Promise<IssuanceResult> {
    let minted: TokenResponse | null = null;
    const result = await handleCommand(this.store, streamId, authRequestDecider, async (state: AuthRequestState) => {
      const { command, tokens } = await this.issueTokens(state, request);
      minted = tokens;
      return command;
    });
    if (result.outcome === 'rejected') return result;
    const tokens = minted as TokenResponse | null;
    if (!tokens) throw new Error('tokens were issued without being minted');
    return { outcome: 'issued', tokens };
  }

  /** The command for `state`; tokens only when the state will accept it (the decider rejects it otherwise). */
  private async issueTokens(
    state: AuthRequestState,
    request: IssuanceRequest,
  ): Promise<{ command: IssueTokens; tokens: TokenResponse | null }> {
    const minted = isRedeemable(state, request) ? await this.mint(state, request) : null;
    const sealedTokens = minted && request.push ? await this.sealer.seal(minted.tokens, request.push.streamId) : null;
    const accessTokenExpiresAt = new Date(request.now.getTime() + this.config.accessTokenTtlSeconds * 1000);
    return {
      command: {
        type: 'IssueTokens',
        data: {
          clientId: request.clientId,
          accessTokenId: minted?.accessTokenId ?? '',
          idTokenId: minted?.idTokenId ?? null,
          accessTokenExpiresAt: accessTokenExpiresAt.toISOString(),
          sealedTokens,
        },
        metadata: { ...request.origin, now: request.now.toISOString() },
      },
      tokens: minted?.tokens ?? null,
    };
  }

  private async mint(
    state: ApprovedState,
    request: IssuanceRequest,
  ): Promise<{ tokens: TokenResponse; accessTokenId: string; idTokenId: string }> {
    const { issuer, accessTokenTtlSeconds, idTokenTtlSeconds } = this.config;
    const { subject, grantedScope, authenticatedAt, evidence } = state.consent;
    const accessTokenId = randomUUID();
    const idTokenId = randomUUID();
    const accessToken = await this.signer.signAccessToken({
      issuer,
      audience: issuer,
      subject,
      clientId: request.clientId,
      scope: grantedScope,
      jti: accessTokenId,
      issuedAt: request.now,
      expiresInSeconds: accessTokenTtlSeconds,
    });
    const idToken = await this.signer.signIdToken({
      issuer,
      subject,
      clientId: request.clientId,
      authTime: new Date(authenticatedAt),
      ...authenticationClaims(evidence),
      issuedAt: request.now,
      expiresInSeconds: idTokenTtlSeconds,
      jti: idTokenId,
      accessToken,
      ...(request.push && { extraClaims: { [AUTH_REQ_ID_CLAIM]: request.push.authReqId } }),
    });
    return {
      tokens: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: accessTokenTtlSeconds,
        id_token: idToken,
        scope: grantedScope.join(' '),
      },
      accessTokenId,
      idTokenId,
    };
  }
}

function isRedeemable(state: AuthRequestState, request: IssuanceRequest): state is ApprovedState {
  return (
    state.status === 'Approved' &&
    state.request.clientId === request.clientId &&
    !isExpired(state, request.now.toISOString())
  );
}
