import { Inject, Injectable } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { type SigningKey, signCompact } from './signing-key.js';
import { SigningKeys } from './signing-keys.service.js';
import { tokenHash } from './token-hash.js';

export interface AccessTokenInput {
  issuer: string;
  /** RFC 8707: one resource, or several (a JSON array then). */
  audience: string | string[];
  subject: string;
  clientId: string;
  scope: string[];
  jti: string;
  issuedAt: Date;
  expiresInSeconds: number;
  /** RFC 8705 §3.1 / RFC 7800: what a sender-constrained token is bound to; absent for a bearer token. */
  confirmation?: Record<string, string>;
  /** RFC 9068 §2.2.1: how and when the user authenticated for the grant. */
  authentication?: { authTime: Date; acr?: string; amr?: string[] };
  /** RFC 9396 §9.1: the authorization details granted. */
  authorizationDetails?: unknown[];
  /** The claims asked for at userinfo with the claims parameter (OIDC Core §5.5): userinfo releases them. */
  userinfoClaims?: string[];
}

export interface IdTokenInput {
  issuer: string;
  subject: string;
  clientId: string;
  authTime: Date;
  issuedAt: Date;
  expiresInSeconds: number;
  jti: string;
  acr?: string;
  amr?: string[];
  /** The access token issued with it: the ID token then carries its `at_hash` (required in push mode, CIBA §10.3.1). */
  accessToken?: string;
  /** The refresh token pushed with it: the ID token then carries its `rt_hash` (CIBA §10.3.1). */
  refreshToken?: string;
  /** Added first, so they can never replace a claim this signer sets. */
  extraClaims?: Record<string, unknown>;
}

/** The bearer token of a Keycloak-compatible authentication channel request (see signAuthenticationChannelToken). */
export interface AuthenticationChannelTokenInput {
  issuer: string;
  /** The user to authenticate. */
  subject: string;
  /** The client that asked (Keycloak's `azp`): an identifier, never a credential. */
  clientId: string;
  jti: string;
  issuedAt: Date;
  expiresInSeconds: number;
}

/** Its `typ` header: a token of its own kind, never mistaken for an access or ID token. */
export const AUTHENTICATION_CHANNEL_TOKEN_TYPE = 'authn-channel+jwt';

/**
 * Its `aud`: the issuer with a fragment. An access token's audience is the issuer or a resource,
 * and a resource never has a fragment (RFC 8707 §2), so neither kind of token can pass for the
 * other where only the audience is checked.
 */
export function authenticationChannelAudience(issuer: string): string {
  return `${issuer}#authentication-channel`;
}

/**
 * A private claim of our access tokens (collision-resistant, RFC 7519 §4.2): the claims the client
 * asked for at userinfo with the claims parameter, so userinfo releases them with every token of
 * the grant, refreshed ones included, without looking the grant up.
 */
export const USERINFO_CLAIMS_CLAIM = 'urn:backchannel:params:jwt:claim:userinfo_claims';

/** The hash of a refresh token pushed with an ID token (CIBA §10.3.1), computed as at_hash. */
export const RT_HASH_CLAIM = 'urn:openid:params:jwt:claim:rt_hash';

/** Where the signer gets its key; SigningKeys in the app, any key in unit tests. */
export type ActiveSigningKeySource = Pick<SigningKeys, 'activeKey'>;

interface RegisteredClaims {
  issuer: string;
  subject: string;
  audience: string | string[];
  jti: string;
  issuedAt: Date;
  expiresInSeconds: number;
}

@Injectable()
export class TokenSigner {
  constructor(@Inject(SigningKeys) private readonly keys: ActiveSigningKeySource) {}

  /** RFC 9068 JWT access token. */
  async signAccessToken(input: AccessTokenInput): Promise<string> {
    const key = await this.keys.activeKey();
    const claims: JWTPayload = { client_id: input.clientId, scope: input.scope.join(' ') };
    if (input.confirmation !== undefined) claims.cnf = input.confirmation;
    if (input.authentication !== undefined) {
      claims.auth_time = epochSeconds(input.authentication.authTime);
      if (input.authentication.acr !== undefined) claims.acr = input.authentication.acr;
      if (input.authentication.amr !== undefined) claims.amr = input.authentication.amr;
    }
    if (input.authorizationDetails !== undefined) claims.authorization_details = input.authorizationDetails;
    if (input.userinfoClaims !== undefined) claims[USERINFO_CLAIMS_CLAIM] = input.userinfoClaims;
    return this.sign(key, 'at+jwt', claims, input);
  }

  /** OIDC ID token for the CIBA grant: a single audience (the client), no nonce. */
  async signIdToken(input: IdTokenInput): Promise<string> {
    // at_hash uses the hash of the algorithm that signs, so both come from the same key
    const key = await this.keys.activeKey();
    const claims: JWTPayload = { ...input.extraClaims, auth_time: epochSeconds(input.authTime) };
    if (input.acr !== undefined) claims.acr = input.acr;
    if (input.amr !== undefined) claims.amr = input.amr;
    if (input.accessToken !== undefined) claims.at_hash = tokenHash(input.accessToken, key.alg);
    if (input.refreshToken !== undefined) claims[RT_HASH_CLAIM] = tokenHash(input.refreshToken, key.alg);
    return this.sign(key, 'JWT', claims, { ...input, audience: input.clientId });
  }

  /**
   * What Keycloak's HTTP authentication channel sends as `Authorization: Bearer`: a signed token
   * naming the request (`jti`), the user (`sub`) and the client (`azp`), addressed to the issuer's
   * channel (authenticationChannelAudience), which the channel's backend presents again at the callback.
   */
  async signAuthenticationChannelToken(input: AuthenticationChannelTokenInput): Promise<string> {
    const key = await this.keys.activeKey();
    const claims = { typ: 'Bearer', azp: input.clientId };
    const audience = authenticationChannelAudience(input.issuer);
    return this.sign(key, AUTHENTICATION_CHANNEL_TOKEN_TYPE, claims, { ...input, audience });
  }

  private sign(key: SigningKey, typ: string, claims: JWTPayload, registered: RegisteredClaims): string {
    const issuedAt = epochSeconds(registered.issuedAt);
    const payload: JWTPayload = {
      ...claims,
      iss: registered.issuer,
      sub: registered.subject,
      aud: registered.audience,
      iat: issuedAt,
      exp: issuedAt + registered.expiresInSeconds,
      jti: registered.jti,
    };
    return signCompact(key, typ, JSON.stringify(payload));
  }
}

function epochSeconds(instant: Date): number {
  return Math.floor(instant.getTime() / 1000);
}
