import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { JwtVerificationError, SigningKeys, USERINFO_CLAIMS_CLAIM, verifyJwt } from '@backchannel/crypto';
import { ClientRegistry, clientEnabled } from '@backchannel/clients';
import { UserDirectory } from '@backchannel/directory';
import {
  RefreshTokens,
  type StoredRefreshToken,
  refreshTokenActive,
} from '../token-minting/refresh-tokens.repository.js';

/** The claims of an access token this server signed (RFC 9068 §2.2). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  cnf?: Record<string, string>;
  auth_time?: number;
  acr?: string;
  amr?: string[];
  authorization_details?: unknown[];
  [USERINFO_CLAIMS_CLAIM]?: string[];
}

/** Whether an access token is for a resource (RFC 8707), e.g. the issuer's own userinfo. */
export function accessTokenIsFor(claims: AccessTokenClaims, resource: string): boolean {
  return (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).includes(resource);
}

/**
 * A token as presented to introspection, revocation or userinfo, once recognised as one of ours.
 * `usable`: not revoked (nor, for a refresh token, used or expired), and its client is enabled.
 */
export type IssuedToken =
  | { kind: 'access_token'; claims: AccessTokenClaims; usable: boolean }
  | { kind: 'refresh_token'; stored: StoredRefreshToken; usable: boolean };

/** RFC 7009 §2.1 / RFC 7662 §2.1: the hint only says which kind to try first. */
export type TokenTypeHint = 'access_token' | 'refresh_token';

/**
 * Recognises the tokens this server issued: an access token by its signature (any key still
 * published, so tokens signed before a rotation are recognised until they expire), a refresh
 * token by its digest. An expired access token is not recognised at all.
 */
@Injectable()
export class IssuedTokens {
  constructor(
    private readonly keys: SigningKeys,
    private readonly refreshTokens: RefreshTokens,
    private readonly clients: ClientRegistry,
    private readonly users: UserDirectory,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  async identify(token: string, hint: TokenTypeHint | null, now: Date): Promise<IssuedToken | null> {
    const kinds: TokenTypeHint[] =
      hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
    for (const kind of kinds) {
      const found = kind === 'access_token' ? await this.accessToken(token, now) : await this.refreshToken(token, now);
      if (found !== null) return found;
    }
    return null;
  }

  private async accessToken(token: string, now: Date): Promise<IssuedToken | null> {
    // a refresh token is never a JWT: no signature check for what cannot be one
    if (token.split('.').length !== 3) return null;
    try {
      // any audience: introspection answers for every resource; userinfo checks it is one
      const claims = (await verifyJwt(token, await this.keys.jwks(), {
        issuer: this.config.issuer,
        typ: 'at+jwt',
        currentDate: now,
      })) as unknown as AccessTokenClaims;
      const usable =
        !(await this.refreshTokens.isAccessTokenRevoked(claims.jti)) &&
        (await this.partiesEnabled(claims.client_id, claims.sub));
      return { kind: 'access_token', claims, usable };
    } catch (error) {
      if (error instanceof JwtVerificationError) return null;
      throw error;
    }
  }

  private async refreshToken(token: string, now: Date): Promise<IssuedToken | null> {
    const stored = await this.refreshTokens.find(token);
    if (stored === null) return null;
    const usable =
      refreshTokenActive(stored, now) && (await this.partiesEnabled(stored.family.clientId, stored.family.subject));
    return { kind: 'refresh_token', stored, usable };
  }

  /**
   * The tokens of a disabled or deleted client, or of a disabled or removed user, are not
   * accepted (they are again, until they expire, if the client or user is enabled).
   */
  private async partiesEnabled(clientId: string, subject: string): Promise<boolean> {
    return clientEnabled(await this.clients.find(clientId)) && (await this.users.isEnabled(subject));
  }
}
