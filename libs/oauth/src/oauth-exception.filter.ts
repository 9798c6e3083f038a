import { inspect } from 'node:util';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  InsufficientScope,
  InvalidClient,
  InvalidDpopProof,
  InvalidRequest,
  InvalidToken,
  OAuthError,
  ServerError,
  TemporarilyUnavailable,
  UseDpopNonce,
} from './oauth-errors.js';
import { toErrorDescription } from './error-description.js';

interface ErrorResponse {
  status: number;
  error: string;
  description: string;
  headers: Record<string, string>;
}

const INTERNAL_ERROR_DESCRIPTION = 'The server encountered an internal error.';

/** Stable error codes for non-OAuth failures, with a description that reveals nothing. */
const HTTP_STATUS_ERRORS: Readonly<Record<number, { error: string; description: string }>> = {
  400: { error: 'invalid_request', description: 'The request is malformed.' },
  401: { error: 'unauthorized', description: 'Authentication is required.' },
  403: { error: 'forbidden', description: 'The request is not allowed.' },
  404: { error: 'not_found', description: 'The resource does not exist.' },
  405: { error: 'method_not_allowed', description: 'The method is not allowed for this resource.' },
  409: { error: 'conflict', description: 'The request conflicts with the current state of the resource.' },
  410: { error: 'gone', description: 'The resource is no longer available.' },
  413: { error: 'request_too_large', description: 'The request body is too large.' },
  415: { error: 'unsupported_media_type', description: 'The request content type is not supported.' },
  500: { error: 'server_error', description: INTERNAL_ERROR_DESCRIPTION },
};

const INTERNAL_ERROR = new ServerError(INTERNAL_ERROR_DESCRIPTION);

/**
 * Fastify's own request errors (FST_ERR_CTP_BODY_TOO_LARGE, a JSON SyntaxError, ...): their
 * messages are not written for clients, so only their status is used.
 */
interface FastifyClientError {
  statusCode: number;
  code?: unknown;
}

function isErrorStatus(status: unknown, lowest: number, highest: number): status is number {
  return typeof status === 'number' && Number.isInteger(status) && status >= lowest && status <= highest;
}

function isFastifyClientError(exception: unknown): exception is FastifyClientError {
  if (typeof exception !== 'object' || exception === null) return false;
  const { statusCode, code } = exception as { statusCode?: unknown; code?: unknown };
  if (!isErrorStatus(statusCode, 400, 499)) return false;
  return (typeof code === 'string' && code.startsWith('FST_')) || exception instanceof SyntaxError;
}

function fromOAuthError(exception: OAuthError): ErrorResponse {
  const headers: Record<string, string> = {};
  // RFC 6749 §5.2: a 401 answer to a client that may have tried HTTP Basic must challenge it.
  if (exception instanceof InvalidClient) headers['www-authenticate'] = 'Basic realm="backchannel"';
  if (exception instanceof InvalidToken) headers['www-authenticate'] = 'Bearer error="invalid_token"';
  if (exception instanceof InsufficientScope) headers['www-authenticate'] = 'Bearer error="insufficient_scope"';
  if (exception instanceof TemporarilyUnavailable) headers['retry-after'] = String(exception.retryAfterSeconds);
  if (exception instanceof UseDpopNonce) headers['dpop-nonce'] = exception.nonce;
  // RFC 9449 §7.1: a protected resource challenges with the DPoP scheme and the error.
  if ((exception instanceof InvalidDpopProof || exception instanceof UseDpopNonce) && exception.status === 401) {
    headers['www-authenticate'] = `DPoP error="${exception.error}"`;
  }
  return { status: exception.status, error: exception.error, description: exception.description, headers };
}

function fromHttpStatus(status: number, clientMessage?: string): ErrorResponse {
  const known = HTTP_STATUS_ERRORS[status];
  return {
    status,
    error: known?.error ?? `http_${status}`,
    description: clientMessage ?? known?.description ?? 'The request could not be processed.',
    headers: status === 401 ? { 'www-authenticate': 'Bearer' } : {},
  };
}

/** Checklist D-1: a wrong content type is 400 invalid_request, as assertFormUrlEncoded answers. */
function fromFastifyClientError(exception: FastifyClientError): ErrorResponse {
  if (exception.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return fromOAuthError(new InvalidRequest(HTTP_STATUS_ERRORS[415]!.description));
  }
  return fromHttpStatus(exception.statusCode);
}

function classify(exception: unknown): ErrorResponse {
  if (exception instanceof OAuthError) return fromOAuthError(exception);
  if (exception instanceof HttpException) {
    // Nest's Fastify adapter wraps Fastify's 4xx errors in an HttpException carrying the original.
    if (isFastifyClientError(exception.cause)) return fromFastifyClientError(exception.cause);
    const status = exception.getStatus();
    if (!isErrorStatus(status, 400, 599)) return fromOAuthError(INTERNAL_ERROR);
    // A 4xx message was written for the client; a 5xx message may carry internals.
    return fromHttpStatus(status, status < 500 ? exception.message : undefined);
  }
  if (isFastifyClientError(exception)) return fromFastifyClientError(exception);
  return fromOAuthError(INTERNAL_ERROR);
}

function errorResponseOf(exception: unknown): ErrorResponse {
  try {
    return classify(exception);
  } catch {
    // An exception whose properties throw when read is still a server fault to answer.
    return fromOAuthError(INTERNAL_ERROR);
  }
}

function send(reply: FastifyReply, response: ErrorResponse): void {
  reply
    .code(response.status)
    .headers({
      ...response.headers,
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'content-type': 'application/json',
    })
    .send({ error: response.error, error_description: toErrorDescription(response.description) });
}

function correlationIdOf(request: FastifyRequest | undefined): string | undefined {
  if (typeof request?.id === 'string') return request.id;
  const header = request?.headers?.['x-request-id'];
  return typeof header === 'string' ? header : undefined;
}

/**
 * The one place that renders errors (ARCHITECTURE §6): OAuth errors as RFC 6749 §5.2 JSON with
 * `{ error, error_description }` and nothing else, every other failure in the same shape, and
 * never internals: server faults are logged with the request's correlation id instead.
 */
@Catch()
export class OAuthExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(OAuthExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    try {
      const http = host.switchToHttp();
      const response = errorResponseOf(exception);
      send(http.getResponse<FastifyReply>(), response);
      // Load shedding is a deliberate answer, not a fault worth an error log line per request.
      if (response.status >= 500 && !(exception instanceof TemporarilyUnavailable)) {
        this.logServerFault(exception, http.getRequest<FastifyRequest | undefined>());
      }
    } catch (failure) {
      this.logger.error('The exception filter failed.', failure instanceof Error ? failure.stack : undefined);
    }
  }

  private logServerFault(exception: unknown, request: FastifyRequest | undefined): void {
    const correlationId = correlationIdOf(request);
    const message = correlationId ? `Server error (request ${correlationId})` : 'Server error';
    this.logger.error(message, exception instanceof Error ? exception.stack : inspect(exception));
  }
}
