import { JwtVerificationError, type JWK } from '@backchannel/crypto';
import { parseClientJwks } from './client-keys.js';
import type { RegisteredClient } from './registered-client.js';

/** Fetches a JWKS document: the parsed JSON, or a thrown Error saying why not (see EgressHttpClient.getJson). */
export type JwksFetcher = (url: string) => Promise<unknown>;

/** The client's keys cannot be had: none registered, or its jwks_uri failed. Says why, in words a client may read. */
export class ClientKeysUnavailable extends Error {}

/** Thrown by a key check that found no key of the client's to match (retried with fresh keys from jwks_uri). */
export class NoMatchingClientKey extends Error {}

export interface ClientKeySetOptions {
  /** How long fetched keys are used before they are fetched again. */
  cacheSeconds: number;
  /** At most one fetch per client in this interval, however many unknown `kid`s arrive. */
  minRefetchSeconds: number;
}

interface CachedKeys {
  jwks: { keys: JWK[] };
  fetchedAt: number;
}

/** Verification failures that a key the client has rotated in would explain. */
const UNKNOWN_KEY_CODES = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED']);

/**
 * A client's public keys, wherever it registered them: by value (`jwks`) or by reference
 * (`jwks_uri`, RFC 7591), fetched through the SSRF-safe egress client, checked like registered
 * keys, cached for `cacheSeconds`, and fetched again when a JWT names a key the cached set lacks,
 * at most once per `minRefetchSeconds` (a stream of made-up `kid`s cannot turn us into a
 * flood of requests to the client). Per process, like the client registry.
 */
export class ClientKeySets {
  private readonly cache = new Map<string, CachedKeys>();
  private readonly fetching = new Map<string, Promise<CachedKeys>>();

  constructor(
    private readonly fetchJwks: JwksFetcher,
    private readonly options: ClientKeySetOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Runs `check` with the client's keys. When they come from jwks_uri and `check` finds no key
   * that verifies (a JwtVerificationError of an unknown key, or NoMatchingClientKey), it runs once
   * more on freshly fetched keys, if the last fetch is old enough. Throws ClientKeysUnavailable
   * when the client has no keys or they cannot be fetched.
   */
  async verifyWith<T>(client: RegisteredClient, check: (jwks: { keys: JWK[] }) => Promise<T>): Promise<T> {
    const { jwks, jwks_uri: jwksUri } = client.metadata;
    if (jwks) return check(jwks as { keys: JWK[] });
    if (!jwksUri) throw new ClientKeysUnavailable('The client registered no public keys (jwks or jwks_uri).');
    const cached = await this.current(client.clientId, jwksUri);
    try {
      return await check(cached.jwks);
    } catch (error) {
      const unknownKey =
        error instanceof NoMatchingClientKey ||
        (error instanceof JwtVerificationError && UNKNOWN_KEY_CODES.has(error.code));
      if (!unknownKey || this.clock() - cached.fetchedAt < this.options.minRefetchSeconds * 1000) throw error;
      return check((await this.fetch(client.clientId, jwksUri)).jwks);
    }
  }

  private async current(clientId: string, jwksUri: string): Promise<CachedKeys> {
    const cached = this.cache.get(clientId);
    if (cached && this.clock() - cached.fetchedAt < this.options.cacheSeconds * 1000) return cached;
    return this.fetch(clientId, jwksUri);
  }

  /** One fetch per client at a time: concurrent requests share it. */
  private fetch(clientId: string, jwksUri: string): Promise<CachedKeys> {
    const inFlight = this.fetching.get(clientId);
    if (inFlight) return inFlight;
    const fetched = this.fetchAndCheck(jwksUri)
      .then((jwks) => {
        const entry = { jwks, fetchedAt: this.clock() };
        this.cache.set(clientId, entry);
        return entry;
      })
      .finally(() => this.fetching.delete(clientId));
    this.fetching.set(clientId, fetched);
    return fetched;
  }

  private async fetchAndCheck(jwksUri: string): Promise<{ keys: JWK[] }> {
    let document: unknown;
    try {
      document = await this.fetchJwks(jwksUri);
    } catch (error) {
      throw new ClientKeysUnavailable(`The client's jwks_uri could not be fetched (${(error as Error).message}).`);
    }
    try {
      return parseClientJwks(document) as { keys: JWK[] };
    } catch (error) {
      throw new ClientKeysUnavailable(`The client's jwks_uri does not hold usable keys: ${(error as Error).message}.`);
    }
  }
}
