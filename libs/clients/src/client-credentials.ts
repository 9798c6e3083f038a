import { constantTimeEqualHex, randomToken, sha256Hex, unverifiedJwtClaims } from '@backchannel/crypto';
import { InvalidClient, InvalidRequest } from '@backchannel/oauth';
import type { RegisteredClient } from './registered-client.js';

/** RFC 7523 §2.2: the only client_assertion_type. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const CLIENT_ID_SYNTAX = /^[\x20-\x7E]{1,255}$/;

/** A shared secret, as presented (client_secret_basic or client_secret_post). */
export interface SecretCredentials {
  method: 'client_secret_basic' | 'client_secret_post';
  clientId: string;
  clientSecret: string;
}

/**
 * A JWT (RFC 7523), not verified yet: the client is the one its `iss` names; its registered
 * method says how it is verified (private_key_jwt or client_secret_jwt).
 */
export interface AssertionCredentials {
  method: 'client_assertion';
  clientId: string;
  assertion: string;
}

/**
 * Only a client_id: the client authenticates with its TLS certificate (RFC 8705 §2,
 * tls_client_auth or self_signed_tls_client_auth), checked against what it registered.
 */
export interface CertificateCredentials {
  method: 'tls_client_certificate';
  clientId: string;
}

/** What the client presented, before anything is checked against the registry. */
export type ClientCredentials = SecretCredentials | AssertionCredentials | CertificateCredentials;

/** Every failed check ends in this one description, so a response never tells which one failed. */
export const CLIENT_AUTHENTICATION_FAILED = 'Client authentication failed.';

/** Compared against for unknown clients, so they cost the same as a wrong secret. */
const UNKNOWN_CLIENT_DIGEST = sha256Hex(randomToken());

const BASIC_CREDENTIALS = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * RFC 6749 §2.3: HTTP Basic (client_secret_basic), client_id and client_secret in the form
 * (client_secret_post), a client assertion (RFC 7523, private_key_jwt or client_secret_jwt) or client_id alone (RFC 8705,
 * the TLS certificate authenticates); never more than one method in a request.
 */
export function parseClientCredentials(
  authorization: string | undefined,
  form: ReadonlyMap<string, string>,
): ClientCredentials {
  const formClientId = form.get('client_id');
  const formClientSecret = form.get('client_secret');
  const methodsUsed = [authorization, formClientSecret, form.get('client_assertion')].filter(
    (credential) => credential !== undefined,
  );
  if (methodsUsed.length > 1) {
    throw new InvalidRequest('The request uses more than one client authentication method.');
  }
  if (form.has('client_assertion') || form.has('client_assertion_type')) {
    return parseClientAssertion(form);
  }
  if (authorization !== undefined) {
    const basic = parseBasicAuthorization(authorization);
    if (formClientId !== undefined && formClientId !== basic.clientId) {
      throw new InvalidClient('The client_id parameter does not match the HTTP Basic credentials.');
    }
    return { method: 'client_secret_basic', ...basic };
  }
  if (formClientId === undefined) {
    throw new InvalidClient(
      'Client authentication is required: HTTP Basic, client_id and client_secret in the request body, a client assertion, or client_id with a TLS client certificate.',
    );
  }
  if (formClientSecret === undefined) {
    if (!CLIENT_ID_SYNTAX.test(formClientId)) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED);
    return { method: 'tls_client_certificate', clientId: formClientId };
  }
  return { method: 'client_secret_post', clientId: formClientId, clientSecret: formClientSecret };
}

/**
 * RFC 7521 §4.2: client_assertion_type and client_assertion together; the client is named by the
 * assertion's `iss` (and must match client_id when that is sent too).
 */
function parseClientAssertion(form: ReadonlyMap<string, string>): AssertionCredentials {
  const assertion = form.get('client_assertion');
  const assertionType = form.get('client_assertion_type');
  if (assertion === undefined || assertionType === undefined) {
    throw new InvalidRequest('client_assertion and client_assertion_type must be sent together.');
  }
  if (assertionType !== JWT_BEARER_ASSERTION_TYPE) {
    throw new InvalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}.`);
  }
  let issuer: unknown;
  try {
    issuer = unverifiedJwtClaims(assertion).iss;
  } catch {
    throw new InvalidClient('The client assertion is not a signed JWT.');
  }
  // RFC 6749 §A.1: a client_id is VSCHARs (and never holds a NUL, which PostgreSQL text cannot store).
  if (typeof issuer !== 'string' || !CLIENT_ID_SYNTAX.test(issuer)) {
    throw new InvalidClient("The client assertion's iss must be the client_id.");
  }
  const formClientId = form.get('client_id');
  if (formClientId !== undefined && formClientId !== issuer) {
    throw new InvalidClient("The client_id parameter does not match the client assertion's iss.");
  }
  return { method: 'client_assertion', clientId: issuer, assertion };
}

/**
 * Checks the presented secret against the registered client (`null` when the id is unknown), or
 * its previous secret in a rotation's grace period, and the method against the one it registered.
 * The digest comparison runs in every case.
 */
export function verifyClientCredentials(
  client: RegisteredClient | null,
  credentials: SecretCredentials,
  now: Date,
): RegisteredClient {
  const presented = sha256Hex(credentials.clientSecret);
  const secretMatches = constantTimeEqualHex(presented, client?.secretSha256 ?? UNKNOWN_CLIENT_DIGEST);
  // after a rotation with a grace period, the previous secret serves until the period ends
  const previous = client?.previousSecret;
  const previousMatches =
    previous !== undefined &&
    Date.parse(previous.validUntil) > now.getTime() &&
    constantTimeEqualHex(presented, previous.secretSha256);
  if (
    client === null ||
    !(secretMatches || previousMatches) ||
    client.metadata.token_endpoint_auth_method !== credentials.method
  ) {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED);
  }
  return client;
}

/** RFC 6749 §2.3.1: base64 of `form-urlencoded(id):form-urlencoded(secret)`. */
function parseBasicAuthorization(authorization: string): Pick<SecretCredentials, 'clientId' | 'clientSecret'> {
  const encoded = BASIC_CREDENTIALS.exec(authorization)?.[1];
  if (encoded === undefined || encoded.length % 4 !== 0) {
    throw new InvalidClient('The Authorization header is not HTTP Basic credentials.');
  }
  try {
    const userPass = strictUtf8.decode(Buffer.from(encoded, 'base64'));
    const separator = userPass.indexOf(':');
    if (separator >= 0) {
      return {
        clientId: formUrlDecode(userPass.slice(0, separator)),
        clientSecret: formUrlDecode(userPass.slice(separator + 1)),
      };
    }
  } catch {
    // Not UTF-8, or a broken percent-encoding: malformed, like a missing separator.
  }
  throw new InvalidClient('The HTTP Basic credentials are malformed.');
}

/**
 * application/x-www-form-urlencoded decoding: `+` is a space; a broken escape, or a NUL that no
 * identifier may hold (and PostgreSQL text cannot store), throws.
 */
function formUrlDecode(value: string): string {
  const decoded = decodeURIComponent(value.replaceAll('+', ' '));
  if (decoded.includes('\0')) throw new URIError('NUL in credentials');
  return decoded;
}
