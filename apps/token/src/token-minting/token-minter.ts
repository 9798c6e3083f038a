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
import { ShreddablePayloads, TokenSigner, randomToken } from '@backchannel/crypto';
import { PostgresEventStore, type StreamState, decideOnLatest, handleCommand } from '@backchannel/event-store';
import { UserDirectory, userinfoClaims } from '@backchannel/directory';
import { accessTokenAudience } from '@backchannel/oauth';
import {
  type AccessTokenConfirmation,
  type AuthorizationDetail,
  type PushedTokens,
  type TokensIssued,
  accessTokenType,
} from '@backchannel/events';
import { IssuedResponses } from './issued-responses.repository.js';
import { type ConsentAuthentication, type IssuedRefreshToken, RefreshTokens } from './refresh-tokens.repository.js';
import { authenticationClaims } from './authentication-claims.js';

/** The token endpoint's answer (CIBA §10.1.1) has the members of the push body without auth_req_id (§10.3.1). */
export type TokenResponse = PushedTokens;

/** The claim that ties a pushed ID token to its request (CIBA §10.3.1). */
export const AUTH_REQ_ID_CLAIM = 'urn:openid:params:jwt:claim:auth_req_id';

/** What an access token grants, from a consent: at the CIBA grant, and again at each refresh. */
export interface AccessGrant {
  clientId: string;
  subject: string;
  scope: string[];
  /** RFC 8707: the resources the consent granted (empty: the issuer's). */
  resources: string[];
  /** RFC 9396: the authorization details the consent granted. */
  authorizationDetails: AuthorizationDetail[] | null;
  /** OIDC Core §5.5: the claims asked for at userinfo one by one, which the token names for it. */
  userinfoClaims: string[];
  confirmation: AccessTokenConfirmation | null;
  authentication: ConsentAuthentication;
}

export interface MintedAccessToken {
  accessToken: string;
  jti: string;
  expiresAt: Date;
  /** Its `aud`: the resources it is for (RFC 8707), or the issuer. */
  audience: string[];
}

export interface IssuanceRequest {
  /** The client the tokens are for: the one that redeems at /token, or the push request's client. */
  clientId: string;
  now: Date;
  /** Correlation, causation and actor of the IssueTokens command. */
  origin: Omit<AuthRequestCommandMetadata, 'now'>;
  /** Push mode: the ID token names the auth_req_id, and the tokens are sealed to the stream for ping-delivery. */
  push?: { authReqId: string };
  /** A sender-constrained access token's `cnf` (RFC 8705, RFC 9449); absent: a bearer token. */
  confirmation?: AccessTokenConfirmation | null;
  /** The client is registered for the refresh_token grant: a refresh token family starts here. */
  refreshToken: boolean;
  /** RFC 8707 §2.2: the resources the token request narrows the audience to (none: every one granted). */
  resources?: string[];
  /**
   * Poll mode: the response is kept sealed to the auth_req_id for this many seconds, and the same
   * client redeeming again within them is answered with it (see IssueTokens' retryWindowSeconds).
   */
  retry?: { authReqId: string; windowSeconds: number };
}

export type IssuanceResult =
  | { outcome: 'issued'; tokens: TokenResponse }
  | { outcome: 'rejected'; rejection: AuthRequestRejection; state: AuthRequestState };

type Issued = TokensIssued['data'];

const USER_NO_LONGER_ENABLED: AuthRequestRejection = {
  code: 'access_denied',
  message: 'The user was disabled or deleted after approving.',
};
/** A retry the decider accepted whose response is no longer kept (its window ended meanwhile). */
const RESPONSE_NOT_KEPT: AuthRequestRejection = {
  code: 'invalid_grant',
  message: 'The auth_req_id has already been used.',
};
type ApprovedRequest = Extract<AuthRequestState, { status: 'Approved' }>;

/**
 * The one place tokens are minted, for the /token grant and for push mode alike. The decider is
 * asked first, on the state read, so nothing is signed for a request that is pending, denied,
 * expired, redeemed or another client's. Once it says yes, the tokens are signed, once, for what
 * its TokensIssued records (token ids, subject, scope, expiry; the consent's time and evidence),
 * and the command, now carrying the sealed push payload, is appended with the expected version.
 * If the stream moved on meanwhile it is decided again on the new state: a concurrent redemption
 * leaves this one rejected, and its tokens, never shown, are dropped. A retry the decider accepts
 * with nothing to record (the same client within the retry window, or the loser of a concurrent
 * redemption by that client) is answered with the response kept for it, so exactly one
 * TokensIssued and one set of tokens exist per request.
 */
@Injectable()
export class TokenMinter {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly signer: TokenSigner,
    private readonly payloads: ShreddablePayloads,
    private readonly refreshTokens: RefreshTokens,
    private readonly users: UserDirectory,
    private readonly issuedResponses: IssuedResponses,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  /** `read`: the stream's state when the caller has just read it (push issuance looks at the request first). */
  async issue(
    streamId: string,
    request: IssuanceRequest,
    read?: StreamState<AuthRequestState>,
  ): Promise<IssuanceResult> {
    const command = this.issueTokens(request);
    const { stream, decision } = await decideOnLatest(this.store, streamId, authRequestDecider, command, read);
    if (decision.outcome === 'rejected') {
      return { outcome: 'rejected', rejection: decision.rejection, state: stream.state };
    }
    if (decision.events.length === 0) return this.keptResponse(streamId, request, stream.state);
    if (stream.state.status !== 'Approved') throw new Error('tokens decided for a request that is not approved');
    // the consent of a user disabled or deleted since approving no longer stands
    if (!(await this.users.isEnabled(stream.state.request.subject))) {
      return { outcome: 'rejected', rejection: USER_NO_LONGER_ENABLED, state: stream.state };
    }
    const issued = decision.events[0]!.data as Issued;
    const { tokens, refreshTokenFamilyId } = await this.sign(streamId, issued, stream.state, request);
    // crypto-shredded once pushed (ping-delivery): the event keeps that they were pushed, not the tokens
    const sealedTokens = request.push
      ? await this.payloads.seal(tokens, streamId, new Date(stream.state.request.expiresAt))
      : null;
    const { retry } = request;
    const result = await handleCommand(
      this.store,
      streamId,
      authRequestDecider,
      { ...command, data: { ...command.data, sealedTokens, ...(refreshTokenFamilyId && { refreshTokenFamilyId }) } },
      {
        from: stream,
        ...(retry && {
          alongside: await this.issuedResponses.keeping(
            { streamId, authReqId: retry.authReqId },
            tokens,
            new Date(request.now.getTime() + retry.windowSeconds * 1000),
          ),
        }),
      },
    );
    const recorded = result.outcome === 'accepted' && result.events.length > 0;
    // the refresh token was never shown: its family goes with the tokens
    if (!recorded && refreshTokenFamilyId) await this.refreshTokens.discard(refreshTokenFamilyId);
    if (result.outcome === 'rejected') return result;
    if (!recorded) return this.keptResponse(streamId, request, result.state);
    return { outcome: 'issued', tokens };
  }

  /** The response of the redemption a retry repeats, as it was answered. */
  private async keptResponse(
    streamId: string,
    request: IssuanceRequest,
    state: AuthRequestState,
  ): Promise<IssuanceResult> {
    const kept = request.retry && (await this.issuedResponses.find({ streamId, authReqId: request.retry.authReqId }));
    return kept ? { outcome: 'issued', tokens: kept } : { outcome: 'rejected', rejection: RESPONSE_NOT_KEPT, state };
  }

  /**
   * An access token (RFC 9068) for a grant: its claims are decided here, for every way tokens are
   * issued. Its audience is the grant's resources, or those the token request narrowed it to
   * (InvalidTarget for any other); the issuer when the grant names none.
   */
  async mintAccessToken(
    grant: AccessGrant,
    now: Date,
    options: { resources?: string[]; jti?: string } = {},
  ): Promise<MintedAccessToken> {
    const { issuer, accessTokenTtlSeconds } = this.config;
    const { authTime, acr, amr } = grant.authentication;
    const jti = options.jti ?? randomUUID();
    const audience = accessTokenAudience(grant.resources, options.resources ?? [], issuer);
    const accessToken = await this.signer.signAccessToken({
      issuer,
      audience: oneOrMany(audience),
      subject: grant.subject,
      clientId: grant.clientId,
      scope: grant.scope,
      jti,
      issuedAt: now,
      expiresInSeconds: accessTokenTtlSeconds,
      authentication: { authTime: new Date(authTime), ...(acr && { acr }), ...(amr && { amr }) },
      ...(grant.confirmation && { confirmation: { ...grant.confirmation } }),
      ...(grant.authorizationDetails && { authorizationDetails: grant.authorizationDetails }),
      ...(grant.userinfoClaims.length > 0 && { userinfoClaims: grant.userinfoClaims }),
    });
    return { accessToken, jti, expiresAt: new Date(now.getTime() + accessTokenTtlSeconds * 1000), audience };
  }

  /** A new refresh token of a family: valid for its lifetime, never beyond the family's end. */
  newRefreshToken(minted: MintedAccessToken, familyExpiresAt: Date, now: Date): IssuedRefreshToken {
    const ttlMs = this.config.refreshTokens.ttlSeconds * 1000;
    return {
      token: randomToken(),
      accessTokenId: minted.jti,
      accessTokenExpiresAt: minted.expiresAt,
      issuedAt: now,
      expiresAt: new Date(Math.min(now.getTime() + ttlMs, familyExpiresAt.getTime())),
    };
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
        ...(request.retry && { retryWindowSeconds: request.retry.windowSeconds }),
      },
      metadata: { ...request.origin, now: request.now.toISOString() },
    };
  }

  /**
   * The tokens of what the decider decided to record, with the consent's authentication claims;
   * the refresh token's family is stored before the append that records it, so a recorded family
   * always exists.
   */
  private async sign(
    streamId: string,
    issued: Issued,
    { request: requested, consent }: ApprovedRequest,
    request: IssuanceRequest,
  ): Promise<{ tokens: TokenResponse; refreshTokenFamilyId?: string }> {
    const { issuer, accessTokenTtlSeconds, idTokenTtlSeconds } = this.config;
    const { subject, grantedScope, clientId, idTokenId, confirmation } = issued;
    const claims = authenticationClaims(consent.evidence);
    const authentication: ConsentAuthentication = {
      authTime: consent.authenticatedAt,
      ...(claims.acr && { acr: claims.acr }),
      ...(claims.amr && { amr: claims.amr }),
    };
    const { resources = [], authorizationDetails = null, requestedClaims } = requested;
    const grant: AccessGrant = {
      clientId,
      subject,
      scope: grantedScope,
      resources,
      authorizationDetails,
      userinfoClaims: requestedClaims?.userinfo ?? [],
      confirmation: confirmation ?? null,
      authentication,
    };
    // the token carries the id the decider recorded
    const accessToken = await this.mintAccessToken(grant, request.now, {
      resources: request.resources,
      jti: issued.accessTokenId,
    });
    const userClaims = await this.idTokenUserClaims(grant, accessToken.audience, requestedClaims?.id_token ?? []);
    const refresh = request.refreshToken ? await this.startFamily(streamId, grant, accessToken, request.now) : null;
    const idToken = await this.signer.signIdToken({
      issuer,
      subject,
      clientId,
      authTime: new Date(consent.authenticatedAt),
      ...claims,
      issuedAt: request.now,
      expiresInSeconds: idTokenTtlSeconds,
      jti: idTokenId!,
      accessToken: accessToken.accessToken,
      extraClaims: { ...userClaims, ...(request.push && { [AUTH_REQ_ID_CLAIM]: request.push.authReqId }) },
      ...(request.push && refresh && { refreshToken: refresh.token }),
    });
    return {
      tokens: {
        access_token: accessToken.accessToken,
        token_type: accessTokenType(confirmation),
        expires_in: accessTokenTtlSeconds,
        id_token: idToken,
        ...(refresh && { refresh_token: refresh.token }),
        scope: grantedScope.join(' '),
        ...(authorizationDetails && { authorization_details: authorizationDetails }),
      },
      ...(refresh && { refreshTokenFamilyId: refresh.familyId }),
    };
  }

  /**
   * The user's claims an ID token carries: those the claims parameter asked for in its id_token
   * member, and, when the access token cannot call userinfo (its audience is other resources only),
   * those its scopes grant (OIDC Core §5.4). None for a user removed since the consent.
   */
  private async idTokenUserClaims(
    grant: AccessGrant,
    audience: string[],
    requested: readonly string[],
  ): Promise<Record<string, unknown>> {
    const userinfoReachable = audience.includes(this.config.issuer);
    if (requested.length === 0 && userinfoReachable) return {};
    const user = await this.users.findBySubject(grant.subject);
    if (user === null) return {};
    // sub is the ID token's own (set by the signer)
    const { sub: _sub, ...claims } = userinfoClaims(user, userinfoReachable ? [] : grant.scope, requested);
    return claims;
  }

  private async startFamily(
    streamId: string,
    grant: AccessGrant,
    accessToken: MintedAccessToken,
    now: Date,
  ): Promise<{ familyId: string; token: string }> {
    const familyId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.config.refreshTokens.maxAgeSeconds * 1000);
    const first = this.newRefreshToken(accessToken, expiresAt, now);
    await this.refreshTokens.start({ familyId, streamId, ...grant, expiresAt }, first);
    return { familyId, token: first.token };
  }
}

/** RFC 7519 §4.1.3: a single audience as a string, several as an array. */
function oneOrMany(audience: string[]): string | string[] {
  return audience.length === 1 ? audience[0]! : audience;
}
