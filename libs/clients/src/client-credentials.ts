import { constantTimeEqualHex, randomToken, sha256Hex } from '@backchannel/crypto';
import type { TokenEndpointAuthMethod } from '@backchannel/events';
import { InvalidClient, InvalidRequest } from '@backchannel/oauth';
import type { RegisteredClient } from './registered-client.js';

/** What the client presented, before anything is checked against the registry. */
export interface ClientCredentials {
  method: TokenEndpointAuthMethod;
  clientId: string;
  clientSecret: string;
}

/** Every failed check ends in this one description, so a response never tells which one failed. */
export const CLIENT_AUTHENTICATION_FAILED = 'Client authentication failed.';

/** Compared against for unknown clients, so they cost the same as a wrong secret. */
const UNKNOWN_CLIENT_DIGEST = sha256Hex(randomToken());

const BASIC_CREDENTIALS = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * RFC 6749 §2.3: HTTP Basic (client_secret_basic) or client_id and client_secret in the form
 * (client_secret_post), never more than one method in a request.
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
  if (authorization !== undefined) {
    const basic = parseBasicAuthorization(authorization);
    if (formClientId !== undefined && formClientId !== basic.clientId) {
      throw new InvalidClient('The client_id parameter does not match the HTTP Basic credentials.');
    }
    return { method: 'client_secret_basic', ...basic };
  }
  if (formClientId === undefined || formClientSecret === undefined) {
    throw new InvalidClient(
      'Client authentication is required: HTTP Basic, or client_id and client_secret in the request body.',
    );
  }
  return { method: 'client_secret_post', clientId: formClientId, clientSecret: formClientSecret };
}

/**
 * Checks the presented secret against the registered client (`null` when the id is unknown) and
 * the method against the one it registered. The digest comparison runs in every case.
 */
export function verifyClientCredentials(
  client: RegisteredClient | null,
  credentials: ClientCredentials,
): RegisteredClient {
  const secretMatches = constantTimeEqualHex(
    sha256Hex(credentials.clientSecret),
    client?.secretSha256 ?? UNKNOWN_CLIENT_DIGEST,
  );
  if (client === null || !secretMatches || client.metadata.token_endpoint_auth_method !== credentials.method) {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED);
  }
  return client;
}

/** RFC 6749 §2.3.1: base64 of `form-urlencoded(id):form-urlencoded(secret)`. */
function parseBasicAuthorization(authorization: string): Pick<ClientCredentials, 'clientId' | 'clientSecret'> {
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
