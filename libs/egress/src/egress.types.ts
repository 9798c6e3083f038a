/**
 * The contract of outbound calls to clients' notification endpoints (ping and push). Written
 * first so that registration (libs/clients) and ping-delivery can be built against it.
 */

/** Which endpoints may be called. */
export interface EgressPolicy {
  /** Plain http endpoints accepted (embedded and test profiles by default, else explicit configuration). */
  allowHttp: boolean;
  /**
   * CIDR ranges an endpoint may resolve into although they are not public (private, loopback,
   * unique-local, ...). Link-local and metadata ranges (169.254.0.0/16, fe80::/10) stay refused.
   */
  allowedNetworks: readonly string[];
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address (dns.lookup with `all: true` by default; injectable for tests). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export type EndpointVerdict = { allowed: true } | { allowed: false; reason: string };

export interface JsonPostRequest {
  url: string;
  /** Sent as `Authorization: Bearer <token>`; never logged. */
  bearerToken: string;
  /** Serialized as the JSON body (Content-Type: application/json). */
  body: unknown;
}

/** A POST of any body (a device channel's: an encrypted Web Push message, a signed webhook). */
export interface HttpPostRequest {
  url: string;
  /** Sent as given; never logged. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * How one POST ended. Never thrown: every behaviour of the endpoint and the network is an outcome.
 * What an answer means (delivered, retried, given up) is the delivery pipeline's to decide (the
 * delivery lib's followUp), the same for every caller; this client only reports it.
 * - answered: the endpoint sent a status (redirects are never followed); `retryAfter` is its
 *   Retry-After header as sent, or null;
 * - refused_address: the host resolves to an address the policy refuses, or the URL is not allowed;
 * - unreachable: network error, DNS failure, TLS failure or timeout.
 */
export type HttpPostOutcome =
  | { kind: 'answered'; status: number; retryAfter: string | null }
  | { kind: 'refused_address'; detail: string }
  | { kind: 'unreachable'; detail: string };

/** A GET of a document (a client's jwks_uri). */
export interface HttpGetRequest {
  url: string;
  accept: string;
  /** A larger body is not read: the outcome's body is then null. */
  maxBytes: number;
}

/** How one GET ended; never thrown. `body` is null when it exceeded the request's maxBytes. */
export type HttpGetOutcome =
  | { kind: 'answered'; status: number; body: Buffer | null }
  | { kind: 'refused_address'; detail: string }
  | { kind: 'unreachable'; detail: string };
