import type { X509Certificate } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type FormParameters, assertFormUrlEncoded, parseFormBody } from '@backchannel/oauth';

/** What an OAuth endpoint (RFC 6749 §3.2, CIBA §7.1) needs from its HTTP request. */
export interface OAuthFormRequest {
  params: FormParameters;
  authorization: string | undefined;
  /** The TLS client certificate presented (RFC 8705), on the connection or through a trusted proxy. */
  clientCertificate: X509Certificate | null;
  /** The `DPoP` header (RFC 9449 §4) as received, if any; verified by the endpoint that binds tokens to it. */
  dpopProof?: string | readonly string[];
  correlationId: string;
  now: Date;
}

/**
 * Reads a form-encoded OAuth request from the raw body (so a repeated parameter is caught) and
 * marks the response not cacheable, as every answer of these endpoints carries or concerns secrets.
 */
export function readOAuthFormRequest(
  request: FastifyRequest & { rawBody?: Buffer },
  reply: FastifyReply,
): OAuthFormRequest {
  reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
  assertFormUrlEncoded(request.headers['content-type']);
  return {
    params: parseFormBody(request.rawBody?.toString('utf8') ?? ''),
    authorization: request.headers.authorization,
    clientCertificate: request.clientCertificate(),
    ...(request.headers.dpop !== undefined && { dpopProof: request.headers.dpop }),
    correlationId: request.id,
    now: new Date(),
  };
}
