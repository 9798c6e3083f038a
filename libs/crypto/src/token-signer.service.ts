import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, type JWTPayload } from 'jose';
import type { SigningKey } from './signing-key.js';
import { SigningKeys } from './signing-keys.service.js';

export interface AccessTokenInput {
  issuer: string;
  audience: string;
  subject: string;
  clientId: string;
  scope: string[];
  jti: string;
  issuedAt: Date;
  expiresInSeconds: number;
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
  /** Added first, so they can never replace a claim this signer sets. */
  extraClaims?: Record<string, unknown>;
}

/** Where the signer gets its key; SigningKeys in the app, any key in unit tests. */
export type ActiveSigningKeySource = Pick<SigningKeys, 'activeKey'>;

interface RegisteredClaims {
  issuer: string;
  subject: string;
  audience: string;
  jti: string;
  issuedAt: Date;
  expiresInSeconds: number;
}

@Injectable()
export class TokenSigner {
  constructor(@Inject(SigningKeys) private readonly keys: ActiveSigningKeySource) {}

  /** RFC 9068 JWT access token. */
  signAccessToken(input: AccessTokenInput): Promise<string> {
    return this.sign('at+jwt', { client_id: input.clientId, scope: input.scope.join(' ') }, input);
  }

  /** OIDC ID token for the CIBA grant: a single audience (the client), no nonce. */
  signIdToken(input: IdTokenInput): Promise<string> {
    const claims: JWTPayload = { ...input.extraClaims, auth_time: epochSeconds(input.authTime) };
    if (input.acr !== undefined) claims.acr = input.acr;
    if (input.amr !== undefined) claims.amr = input.amr;
    return this.sign('JWT', claims, { ...input, audience: input.clientId });
  }

  private async sign(typ: string, claims: JWTPayload, registered: RegisteredClaims): Promise<string> {
    const key: SigningKey = await this.keys.activeKey();
    const issuedAt = epochSeconds(registered.issuedAt);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .setIssuer(registered.issuer)
      .setSubject(registered.subject)
      .setAudience(registered.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + registered.expiresInSeconds)
      .setJti(registered.jti)
      .sign(key.privateKey);
  }
}

function epochSeconds(instant: Date): number {
  return Math.floor(instant.getTime() / 1000);
}
