import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { type FormParameters, InvalidRequest, repeatedValues } from '@backchannel/oauth';
import { ClientKeySets } from './client-key-sets.js';
import { type ClientVerificationKeys, verifyClientSignedJwt } from './client-signed-jwt.js';
import type { RegisteredClient } from './registered-client.js';
import { assertFapiCibaAuthenticationRequest } from './fapi-ciba-profile.js';
import { SpentClientJwts } from './spent-client-jwts.js';

/** FAPI-CIBA 5.2.2-9: a signed request is valid for at most 60 minutes (exp − nbf). */
export const SIGNED_REQUEST_MAX_LIFETIME_SECONDS = 3600;

/** CIBA §7.1.1: beside a signed request, only what client authentication needs may be sent. */
const BESIDE_THE_REQUEST = new Set([
  'request',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
]);
/** The JWT's own claims (RFC 7519 §4.1): not authentication request parameters. */
const JWT_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);
const REQUEST_TYP = 'oauth-authz-req+jwt';
/** Parameters whose form value is JSON: in a signed request they are JSON themselves. */
const JSON_VALUED = new Set(['claims', 'authorization_details']);
const PARAMETER_NAME = /^[a-z_]{1,64}$/;

/** A verified signed request: its parameters as a form would carry them, and its jti for the replay check. */
export interface SignedAuthenticationRequest {
  params: FormParameters;
  jti: string;
  expiresAt: Date;
}

/**
 * CIBA §7.1.1 and checklist E: a client that registered backchannel_authentication_request_signing_alg
 * sends its parameters only inside `request`, a JWT signed with one of its keys by that algorithm,
 * `aud` = the issuer, `iss` = its client_id, `exp`, `iat`, `nbf` (at most 60 minutes before
 * `exp`) and `jti`; `typ`, when present, `oauth-authz-req+jwt` in any letter case. Every defect is
 * invalid_request. Returns null for an unsigned request from a client that registered no
 * algorithm (its form parameters are the request). The jti's replay is the caller's to refuse.
 */
export async function readSignedAuthenticationRequest(
  client: RegisteredClient,
  form: FormParameters,
  context: { issuer: string; now: Date; keySets: ClientKeySets },
): Promise<SignedAuthenticationRequest | null> {
  const algorithm = client.metadata.backchannel_authentication_request_signing_alg;
  const request = form.get('request');
  if (request === undefined) {
    if (algorithm === undefined) return null;
    throw new InvalidRequest(
      'This client registered backchannel_authentication_request_signing_alg: send the authentication request signed, in the request parameter.',
    );
  }
  if (algorithm === undefined) {
    throw new InvalidRequest(
      'Signed authentication requests need backchannel_authentication_request_signing_alg registered for the client.',
    );
  }
  const outside = [...form.keys()].find((name) => !BESIDE_THE_REQUEST.has(name));
  if (outside !== undefined) {
    throw new InvalidRequest(
      `Authentication request parameters go inside the signed request, not beside it${PARAMETER_NAME.test(outside) ? ` (${outside})` : ''}.`,
    );
  }
  const keys: ClientVerificationKeys = (check) => context.keySets.verifyWith(client, check);
  const { claims, jti, expiresAt } = await verifyClientSignedJwt(keys, client, request, {
    name: 'The signed authentication request',
    algorithms: [algorithm],
    audiences: [context.issuer],
    requiredClaims: ['aud', 'iss', 'exp', 'iat', 'nbf', 'jti'],
    maxLifetime: { seconds: SIGNED_REQUEST_MAX_LIFETIME_SECONDS, from: 'nbf' },
    typIfPresent: REQUEST_TYP,
    now: context.now,
    refuse: (description) => new InvalidRequest(description),
    unverifiedFailure:
      "The signed authentication request does not verify with the client's registered keys and signing algorithm.",
  });
  return { params: parametersOf(claims), jti, expiresAt };
}

/**
 * The request's claims as form parameters: strings, except requested_expiry, which may be a number
 * (CIBA §7.1.1), the JSON-valued claims and authorization_details, carried as JSON (RFC 9396 §3),
 * and resource, which may be an array (RFC 8707 §2), kept space-delimited as the form parser does.
 */
function parametersOf(claims: Record<string, unknown>): FormParameters {
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(claims)) {
    if (JWT_CLAIMS.has(name)) continue;
    if (name === 'request') throw new InvalidRequest('A signed authentication request cannot hold another one.');
    const text = formValueOf(name, value);
    const shown = PARAMETER_NAME.test(name) ? name : 'Every parameter';
    if (typeof text !== 'string') {
      throw new InvalidRequest(`${shown} must be a JSON string in the signed authentication request.`);
    }
    // A form's NUL is refused at the edge; one inside a JWT must be too (PostgreSQL text cannot hold it).
    if (text.includes('\0')) throw new InvalidRequest(`${shown} must not contain a NUL character.`);
    params.set(name, text);
  }
  return params;
}

function formValueOf(name: string, value: unknown): unknown {
  if (name === 'requested_expiry' && typeof value === 'number') return String(value);
  if (JSON_VALUED.has(name) && typeof value === 'object' && value !== null) return JSON.stringify(value);
  if (name === 'resource' && Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return repeatedValues(name, value);
  }
  return value;
}

/** The authentication request's parameters, whether the client sent them signed or in the form. */
@Injectable()
export class AuthenticationRequestParameters {
  private readonly issuer: string;

  constructor(
    private readonly spentJwts: SpentClientJwts,
    private readonly keySets: ClientKeySets,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.issuer = config.issuer;
  }

  /** The form's parameters, or the verified signed request's, its jti spent once across replicas. */
  async of(client: RegisteredClient, form: FormParameters, now: Date): Promise<FormParameters> {
    assertFapiCibaAuthenticationRequest(client, form);
    const signed = await readSignedAuthenticationRequest(client, form, {
      issuer: this.issuer,
      now,
      keySets: this.keySets,
    });
    if (signed === null) return form;
    if (!(await this.spentJwts.spend(client.clientId, 'request', signed.jti, signed.expiresAt, now))) {
      throw new InvalidRequest('The signed authentication request was already used: each jti is accepted once.');
    }
    return signed.params;
  }
}
