import { Inject, Injectable } from '@nestjs/common';
import {
  CLIENT_JWT_CLOCK_TOLERANCE_SECONDS,
  ClientKeySets,
  ClientKeysUnavailable,
  type RegisteredClient,
  clientSigningAlgorithms,
} from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { JwtVerificationError, SigningKeys, verifyClientJwt, verifyIdTokenHint } from '@backchannel/crypto';
import { type User, UserDirectory } from '@backchannel/directory';
import type { HintKind } from '@backchannel/events';
import { ExpiredLoginHintToken, InvalidRequest, UnknownUserId } from '@backchannel/oauth';

/** The claims a login_hint_token may name its user by, in the order they are looked at. */
const IDENTIFYING_CLAIMS = ['sub', 'email', 'phone_number'] as const;

/**
 * CIBA §7.1 and checklist F: the user a hint names.
 * - login_hint: a sub, username, e-mail address or phone number (UserDirectory.findByLoginHint);
 * - id_token_hint: an ID token this server issued to this client (expired ones too), its `sub`;
 * - login_hint_token: a JWT signed with one of the client's keys, registered or at its jwks_uri (PS256, ES256, EdDSA),
 *   with `exp`, naming the user by `sub`, else `email`, else `phone_number`.
 * A client may be limited to some kinds (its backchannel_allowed_hints). A hint that does not
 * verify is invalid_request (an expired login_hint_token is expired_login_hint_token); one that
 * names nobody is unknown_user_id.
 */
@Injectable()
export class HintedUsers {
  private readonly issuer: string;

  constructor(
    private readonly users: UserDirectory,
    private readonly keys: SigningKeys,
    private readonly clientKeys: ClientKeySets,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.issuer = config.issuer;
  }

  async userOf(hint: { kind: HintKind; value: string }, client: RegisteredClient, now: Date): Promise<User> {
    const allowed = client.metadata.backchannel_allowed_hints;
    if (allowed && !allowed.includes(hint.kind)) {
      throw new InvalidRequest(`This client may not send ${hint.kind}; it may send ${allowed.join(', ')}.`);
    }
    const user = await this.find(hint, client, now);
    if (!user) throw new UnknownUserId(`The ${hint.kind} does not identify a known user.`);
    return user;
  }

  private async find(hint: { kind: HintKind; value: string }, client: RegisteredClient, now: Date) {
    switch (hint.kind) {
      case 'login_hint':
        return this.users.findByLoginHint(hint.value);
      case 'id_token_hint':
        return this.users.findBySubject(await this.idTokenSubject(hint.value, client));
      case 'login_hint_token':
        return this.userOfLoginHintToken(hint.value, client, now);
      default: {
        const unknownKind: never = hint.kind;
        throw new Error(`unhandled hint ${String(unknownKind)}`);
      }
    }
  }

  private async idTokenSubject(token: string, client: RegisteredClient): Promise<string> {
    try {
      const claims = await verifyIdTokenHint(token, await this.keys.jwks(), {
        issuer: this.issuer,
        audience: client.clientId,
      });
      return claims.sub;
    } catch (error) {
      if (!(error instanceof JwtVerificationError)) throw error;
      throw new InvalidRequest('The id_token_hint is not an ID token this server issued to this client.');
    }
  }

  private async userOfLoginHintToken(token: string, client: RegisteredClient, now: Date): Promise<User | null> {
    const { jwks, jwks_uri: jwksUri } = client.metadata;
    if (!jwks && !jwksUri) {
      throw new InvalidRequest(
        "A login_hint_token is signed with one of the client's keys: register them (jwks or jwks_uri).",
      );
    }
    let claims: Record<string, unknown>;
    try {
      claims = await this.clientKeys.verifyWith(client, (keys) =>
        verifyClientJwt(token, keys, {
          algorithms: clientSigningAlgorithms(client),
          requiredClaims: ['exp'],
          clockToleranceSeconds: CLIENT_JWT_CLOCK_TOLERANCE_SECONDS,
          currentDate: now,
        }),
      );
    } catch (error) {
      if (error instanceof ClientKeysUnavailable) throw new InvalidRequest(error.message);
      if (!(error instanceof JwtVerificationError)) throw error;
      if (error.code === 'ERR_JWT_EXPIRED') throw new ExpiredLoginHintToken('The login_hint_token has expired.');
      throw new InvalidRequest("The login_hint_token does not verify with the client's registered keys.");
    }
    const claim = IDENTIFYING_CLAIMS.find((name) => claims[name] !== undefined);
    const value = claim && claims[claim];
    // Within what a hint may hold, and free of the NUL that PostgreSQL text cannot store.
    if (typeof value !== 'string' || value.length === 0 || value.length > 256 || value.includes('\0')) {
      throw new InvalidRequest('The login_hint_token must name its user by sub, email or phone_number (a string).');
    }
    return claim === 'sub' ? this.users.findBySubject(value) : this.users.findByClaim(claim!, value);
  }
}
