import { Inject, Injectable } from '@nestjs/common';
import { sha256Hex } from '@backchannel/crypto';
import type { AccessTokenConfirmation, AuthorizationDetail } from '@backchannel/events';
import { DataSource } from 'typeorm';

/** How the user authenticated when they consented: repeated in every access token of the family (RFC 9068 §2.2.1). */
export interface ConsentAuthentication {
  /** ISO-8601 instant. */
  authTime: string;
  acr?: string;
  amr?: string[];
}

/** What a family of refresh tokens carries on from one consent: every rotation grants the same. */
export interface RefreshTokenFamily {
  familyId: string;
  clientId: string;
  subject: string;
  /** The auth-request stream whose consent it carries on. */
  streamId: string;
  scope: string[];
  /** RFC 8707: the resources granted (empty: the issuer's); a refresh may narrow the audience to some. */
  resources: string[];
  /** RFC 9396: the authorization details granted, in every access token of the family. */
  authorizationDetails: AuthorizationDetail[] | null;
  /** The claims the `claims` parameter asked for at userinfo, named in every access token of the family. */
  userinfoClaims: string[];
  confirmation: AccessTokenConfirmation | null;
  authentication: ConsentAuthentication;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** One refresh token of a family, with the access token issued beside it. */
export interface IssuedRefreshToken {
  token: string;
  accessTokenId: string;
  accessTokenExpiresAt: Date;
  issuedAt: Date;
  expiresAt: Date;
}

/** A presented refresh token as stored: its family, and whether and when it was used. */
export interface StoredRefreshToken {
  family: RefreshTokenFamily;
  expiresAt: Date;
  usedAt: Date | null;
  accessTokenId: string;
}

/** Whether a refresh token can still be exchanged: unused, unrevoked, unexpired (itself and its family). */
export function refreshTokenActive(stored: StoredRefreshToken, now: Date): boolean {
  const { usedAt, expiresAt, family } = stored;
  return usedAt === null && family.revokedAt === null && expiresAt > now && family.expiresAt > now;
}

/** Why a family was revoked, kept with it. */
export type FamilyRevocationReason = 'reuse_detected' | 'revoked_by_client';

interface FamilyRow {
  family_id: string;
  client_id: string;
  subject: string;
  stream_id: string;
  scope: string[];
  resources: string[];
  authorization_details: AuthorizationDetail[] | null;
  userinfo_claims: string[];
  confirmation: AccessTokenConfirmation | null;
  authentication: ConsentAuthentication;
  expires_at: Date;
  revoked_at: Date | null;
}

const FAMILY_COLUMNS = `f.family_id, f.client_id, f.subject, f.stream_id, f.scope, f.resources,
  f.authorization_details, f.userinfo_claims, f.confirmation, f.authentication, f.expires_at, f.revoked_at`;

/**
 * Refresh tokens and revoked access tokens, in PostgreSQL so every replica sees one state. A
 * refresh token is stored as its SHA-256 digest (256 random bits: a fast digest is enough) and
 * used once: `rotate` marks it used and stores the next one in one transaction, and only the
 * caller whose update found it unused may answer with the next. Any later use of a used token is
 * a replay: the caller revokes the whole family, and with it every access token it issued.
 */
@Injectable()
export class RefreshTokens {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** A new family with its first token, at the CIBA grant. */
  async start(family: Omit<RefreshTokenFamily, 'revokedAt'>, first: IssuedRefreshToken): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO refresh_token_families
           (family_id, client_id, subject, stream_id, scope, confirmation, authentication, created_at, expires_at,
            resources, authorization_details, userinfo_claims)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          family.familyId,
          family.clientId,
          family.subject,
          family.streamId,
          family.scope,
          family.confirmation === null ? null : JSON.stringify(family.confirmation),
          JSON.stringify(family.authentication),
          first.issuedAt,
          family.expiresAt,
          family.resources,
          family.authorizationDetails === null ? null : JSON.stringify(family.authorizationDetails),
          family.userinfoClaims,
        ],
      );
      await manager.query(insertToken, tokenValues(family.familyId, first));
    });
  }

  /** Drops a family whose first token was never shown (its issuance lost a race). */
  async discard(familyId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM refresh_token_families WHERE family_id = $1`, [familyId]);
  }

  async find(token: string): Promise<StoredRefreshToken | null> {
    const rows: (FamilyRow & { token_expires_at: Date; used_at: Date | null; access_token_id: string })[] =
      await this.dataSource.query(
        `SELECT ${FAMILY_COLUMNS}, t.expires_at AS token_expires_at, t.used_at, t.access_token_id
         FROM refresh_tokens t JOIN refresh_token_families f USING (family_id) WHERE t.token_sha256 = $1`,
        [sha256Hex(token)],
      );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      family: familyOf(row),
      expiresAt: row.token_expires_at,
      usedAt: row.used_at,
      accessTokenId: row.access_token_id,
    };
  }

  /**
   * Exchanges `used` for `next` once: false when `used` was already used (a concurrent or earlier
   * exchange won) or its family revoked meanwhile, and then nothing is stored.
   */
  async rotate(used: string, familyId: string, next: IssuedRefreshToken): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      // wrapped in a SELECT: DataSource.query answers a bare UPDATE with [rows, count]
      const marked: unknown[] = await manager.query(
        `WITH marked AS (
           UPDATE refresh_tokens t SET used_at = $2 FROM refresh_token_families f
           WHERE t.token_sha256 = $1 AND t.used_at IS NULL AND f.family_id = t.family_id AND f.revoked_at IS NULL
           RETURNING 1)
         SELECT 1 FROM marked`,
        [sha256Hex(used), next.issuedAt],
      );
      if (marked.length !== 1) return false;
      await manager.query(insertToken, tokenValues(familyId, next));
      return true;
    });
  }

  /** Revokes the families that match, and every access token they issued that has not expired. */
  async revokeFamilies(
    which: { familyId: string } | { clientId: string } | { subject: string },
    reason: FamilyRevocationReason,
    now: Date,
  ): Promise<number> {
    const [column, value] =
      'familyId' in which
        ? ['family_id', which.familyId]
        : 'clientId' in which
          ? ['client_id', which.clientId]
          : ['subject', which.subject];
    const rows: { family_id: string }[] = await this.dataSource.query(
      `WITH revoked AS (
         UPDATE refresh_token_families SET revoked_at = $2, revoked_reason = $3
         WHERE ${column} = $1 AND revoked_at IS NULL RETURNING family_id)
       , tokens AS (
         INSERT INTO revoked_access_tokens (jti, expires_at)
         SELECT t.access_token_id, t.access_token_expires_at FROM refresh_tokens t JOIN revoked USING (family_id)
         WHERE t.access_token_expires_at > $2
         ON CONFLICT (jti) DO NOTHING)
       SELECT family_id FROM revoked`,
      [value, now, reason],
    );
    return rows.length;
  }

  async revokeAccessToken(jti: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`,
      [jti, expiresAt],
    );
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM revoked_access_tokens WHERE jti = $1`, [jti]);
    return rows.length > 0;
  }
}

const insertToken = `INSERT INTO refresh_tokens
  (token_sha256, family_id, access_token_id, access_token_expires_at, issued_at, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6)`;

function tokenValues(familyId: string, token: IssuedRefreshToken): unknown[] {
  return [
    sha256Hex(token.token),
    familyId,
    token.accessTokenId,
    token.accessTokenExpiresAt,
    token.issuedAt,
    token.expiresAt,
  ];
}

function familyOf(row: FamilyRow): RefreshTokenFamily {
  return {
    familyId: row.family_id,
    clientId: row.client_id,
    subject: row.subject,
    streamId: row.stream_id,
    scope: row.scope,
    resources: row.resources,
    authorizationDetails: row.authorization_details,
    userinfoClaims: row.userinfo_claims,
    confirmation: row.confirmation,
    authentication: row.authentication,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
