import { createSecureContext, rootCertificates } from 'node:tls';
import type { OnApplicationShutdown } from '@nestjs/common';
import { Agent, buildConnector, request } from 'undici';
import { addressesOf, EgressPolicyChecker, systemResolver } from './egress-policy.js';
import type {
  EgressPolicy,
  HttpGetOutcome,
  HttpGetRequest,
  HttpPostOutcome,
  HttpPostRequest,
  JsonPostRequest,
  Resolver,
} from './egress.types.js';

export interface EgressHttpClientOptions {
  policy: EgressPolicy;
  /** Bounds one attempt: resolution, connection, response headers and body. */
  timeoutMs: number;
  /** PEM of certificate authorities trusted besides Node's bundled roots. */
  extraCaPem?: string | null;
  resolve?: Resolver;
}

/** The endpoint's response body is never used: read this much of it, then drop the connection. */
const RESPONSE_BODY_LIMIT_BYTES = 16 * 1024;

/** Raised inside the connector, so that a refused address ends the request before any byte is sent. */
class RefusedAddressError extends Error {}

/**
 * POSTs to clients' notification endpoints and to devices' channels. The connector resolves the
 * host itself, checks every address against the egress policy and connects to a checked address,
 * with TLS still verified against the host name: no DNS answer can change between the check and the connection.
 * Redirects are never followed. Every behaviour of the endpoint or the network is an outcome,
 * never an exception; neither the bearer token nor the body is ever logged.
 */
export class EgressHttpClient implements OnApplicationShutdown {
  private readonly checker: EgressPolicyChecker;
  private readonly timeoutMs: number;
  private readonly agent: Agent;

  constructor({ policy, timeoutMs, extraCaPem, resolve = systemResolver }: EgressHttpClientOptions) {
    this.checker = new EgressPolicyChecker(policy);
    this.timeoutMs = timeoutMs;
    const connect = buildConnector({
      timeout: timeoutMs,
      // CIBA §10.2 under FAPI: TLS 1.2 or 1.3, whatever Node's command-line flags say.
      minVersion: 'TLSv1.2',
      // Setting `ca` replaces Node's roots, so they are passed along with the extra ones; in a
      // context made once, since parsing ~150 certificates for every new connection costs CPU.
      ...(extraCaPem
        ? { secureContext: createSecureContext({ minVersion: 'TLSv1.2', ca: [...rootCertificates, extraCaPem] }) }
        : {}),
    });
    this.agent = new Agent({
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // `host` (and so the TLS server name) stays the URL's; only the address to dial changes.
      connect: (options, callback) => {
        const connectInTurn = (addresses: string[]) => {
          const [address, ...others] = addresses;
          connect({ ...options, hostname: address! }, (...result) => {
            // The next address when this one cannot be reached (an IPv6 address without IPv6 routing).
            if (result[0] && others.length > 0) connectInTurn(others);
            else callback(...result);
          });
        };
        this.checkedAddresses(options.hostname, resolve).then(connectInTurn, (error: Error) => callback(error, null));
      },
    });
  }

  postJson({ url, bearerToken, body }: JsonPostRequest): Promise<HttpPostOutcome> {
    return this.post({
      url,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearerToken}` },
      body: Buffer.from(JSON.stringify(body)),
    });
  }

  async post({ url, headers, body }: HttpPostRequest): Promise<HttpPostOutcome> {
    const syntax = this.checker.checkEndpointSyntax(url);
    if (!syntax.allowed) return { kind: 'refused_address', detail: `the endpoint ${syntax.reason}` };
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers,
        body,
        // The agent's timeouts bound each phase; this bounds the whole attempt, resolution included.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body.dump({ limit: RESPONSE_BODY_LIMIT_BYTES }).catch(() => undefined);
      const retryAfter = response.headers['retry-after'];
      return {
        kind: 'answered',
        status: response.statusCode,
        retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
      };
    } catch (error) {
      if (error instanceof RefusedAddressError) return { kind: 'refused_address', detail: error.message };
      return { kind: 'unreachable', detail: describeFailure(error) };
    }
  }

  /** A GET under the same policy (a client's jwks_uri): the body when it fits in `maxBytes`, else null. */
  async get({ url, accept, maxBytes }: HttpGetRequest): Promise<HttpGetOutcome> {
    const syntax = this.checker.checkEndpointSyntax(url);
    if (!syntax.allowed) return { kind: 'refused_address', detail: `the URL ${syntax.reason}` };
    try {
      const response = await request(url, {
        method: 'GET',
        dispatcher: this.agent,
        headers: { accept },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          response.body.destroy();
          return { kind: 'answered', status: response.statusCode, body: null };
        }
        chunks.push(chunk);
      }
      return { kind: 'answered', status: response.statusCode, body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof RefusedAddressError) return { kind: 'refused_address', detail: error.message };
      return { kind: 'unreachable', detail: describeFailure(error) };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Every address of the host, once they all passed the policy. */
  private async checkedAddresses(hostname: string, resolve: Resolver): Promise<string[]> {
    const addresses = await addressesOf(hostname, resolve);
    if (addresses.length === 0) throw new Error(`${hostname} resolves to no address`);
    const verdict = this.checker.checkAddresses(addresses);
    if (!verdict.allowed) throw new RefusedAddressError(`the endpoint's host ${verdict.reason}`);
    return addresses;
  }
}

/** Error code and message (never the request): ECONNREFUSED, a TLS verification code, a timeout. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? code : error.name}: ${error.message}`;
}
