import { inspect } from 'node:util';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Observable, throwError } from 'rxjs';
import {
  InsufficientScope,
  InvalidClient,
  InvalidDpopProof,
  InvalidRequest,
  InvalidToken,
  OAuthError,
  ServerError,
  RetryLater,
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

type LogLevel = RenderedError['log'];

const INTERNAL_ERROR_DESCRIPTION = 'The server encountered an internal error.';

/** Stable error codes for non-OAuth failures, with a description that reveals nothing. */
const HTTP_STATUS_ERRORS: Readonly<Record<number, { error: string; description: string }>> = {
  400: { error: 'invalid_request', description: 'The request is malformed.' },
  401: { error: 'unauthorized', description: 'Authentication is required.' },
  403: { error: 'forbidden', description: 'The request is not allowed.' },
  404: { error: 'not_found', description: 'The resource does not exist.' },
  405: { error: 'method_not_allowed', description: 'The method is not allowed for this resource.' },
  408: { error: 'request_timeout', description: 'The request was not received in time.' },
  409: { error: 'conflict', description: 'The request conflicts with the current state of the resource.' },
  410: { error: 'gone', description: 'The resource is no longer available.' },
  413: { error: 'request_too_large', description: 'The request body is too large.' },
  415: { error: 'unsupported_media_type', description: 'The request content type is not supported.' },
  431: { error: 'request_header_too_large', description: 'The request header is too large.' },
  500: { error: 'server_error', description: INTERNAL_ERROR_DESCRIPTION },
};

const INTERNAL_ERROR = new ServerError(INTERNAL_ERROR_DESCRIPTION);

/**
 * A request the client got wrong, as the server saw it: Fastify's own request errors
 * (FST_ERR_CTP_BODY_TOO_LARGE, a JSON SyntaxError, ...), or a body the client broke off or
 * mis-framed. Their messages are not written for clients, so only their status is used.
 */
interface ClientCausedError {
  statusCode: number;
  code?: unknown;
}

/**
 * What Node's HTTP server reports about a connection before or while a request is read (its
 * `clientError`): a request that took too long, a header section too large, any other framing
 * error of its parser (HPE_*), which is a malformed request.
 */
const CONNECTION_ERROR_STATUS: Readonly<Record<string, number>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

/** The request stream failed under Fastify's body reader: the client aborted or mis-framed its body. */
const BROKEN_BODY_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

function isErrorStatus(status: unknown, lowest: number, highest: number): status is number {
  return typeof status === 'number' && Number.isInteger(status) && status >= lowest && status <= highest;
}

function isClientCausedError(exception: unknown): exception is ClientCausedError {
  if (typeof exception !== 'object' || exception === null) return false;
  const { statusCode, code } = exception as { statusCode?: unknown; code?: unknown };
  if (!isErrorStatus(statusCode, 400, 499)) return false;
  if (exception instanceof SyntaxError) return true;
  return typeof code === 'string' && (/^(FST_|HPE_)/.test(code) || BROKEN_BODY_CODES.has(code));
}

/** The status that answers a `clientError` of Node's HTTP server, or null for any other failure. */
function connectionErrorStatusOf(exception: unknown): number | null {
  if (typeof exception !== 'object' || exception === null) return null;
  const { code } = exception as { code?: unknown };
  if (typeof code !== 'string') return null;
  return CONNECTION_ERROR_STATUS[code] ?? (code.startsWith('HPE_') ? 400 : null);
}

function fromOAuthError(exception: OAuthError): ErrorResponse {
  const headers: Record<string, string> = {};
  // RFC 6749 §5.2: a 401 answer to a client that may have tried HTTP Basic must challenge it.
  if (exception instanceof InvalidClient) headers['www-authenticate'] = 'Basic realm="backchannel"';
  if (exception instanceof InvalidToken && exception.status === 401) {
    headers['www-authenticate'] = 'Bearer error="invalid_token"';
  }
  if (exception instanceof InsufficientScope) headers['www-authenticate'] = 'Bearer error="insufficient_scope"';
  if (exception instanceof RetryLater) {
    headers['retry-after'] = String(exception.retryAfterSeconds);
  }
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
function fromClientCausedError(exception: ClientCausedError): ErrorResponse {
  if (exception.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return fromOAuthError(new InvalidRequest(HTTP_STATUS_ERRORS[415]!.description));
  }
  return fromHttpStatus(exception.statusCode);
}

function classify(exception: unknown, isOutage: OutageClassifier): ErrorResponse {
  if (exception instanceof OAuthError) return fromOAuthError(exception);
  if (exception instanceof HttpException) {
    // Nest's Fastify adapter wraps Fastify's 4xx errors in an HttpException carrying the original.
    if (isClientCausedError(exception.cause)) return fromClientCausedError(exception.cause);
    const status = exception.getStatus();
    if (!isErrorStatus(status, 400, 599)) return fromOAuthError(INTERNAL_ERROR);
    // A 4xx message was written for the client; a 5xx message may carry internals.
    return fromHttpStatus(status, status < 500 ? exception.message : undefined);
  }
  if (isClientCausedError(exception)) return fromClientCausedError(exception);
  const connectionErrorStatus = connectionErrorStatusOf(exception);
  if (connectionErrorStatus !== null) return fromHttpStatus(connectionErrorStatus);
  if (isOutage(exception)) return fromOAuthError(serviceUnavailable());
  return fromOAuthError(INTERNAL_ERROR);
}

/**
 * How a failure is logged: a fault of ours as an error with its cause, an outage as a warning, a
 * request the framework could not read at debug level (no client may write error lines at will),
 * and the answers we chose to give (OAuth errors, load shedding, Nest's 4xx) not at all.
 */
function logLevelOf(exception: unknown, response: ErrorResponse): LogLevel {
  if (exception instanceof OAuthError || exception instanceof HttpException) {
    if (isClientCausedError(exception.cause)) return 'debug';
    return response.status >= 500 && response.status !== 503 ? 'error' : 'none';
  }
  if (response.status === 503) return 'warn';
  return response.status >= 500 ? 'error' : 'debug';
}

/** Whether a failure is an outage of something the service depends on (its database): 503, not 500. */
export type OutageClassifier = (exception: unknown) => boolean;

/** How long a client is asked to wait when a dependency of ours is unavailable. */
const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** Checklist N-4: an outage answers 503 temporarily_unavailable with Retry-After, never a bare 500. */
export function serviceUnavailable(): TemporarilyUnavailable {
  return new TemporarilyUnavailable('The service is temporarily unavailable.', OUTAGE_RETRY_AFTER_SECONDS);
}

/** An error answer as it goes on the wire: `{ error, error_description }` and nothing else, never cached. */
export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
  /** How the failure is logged (see logLevelOf). */
  log: 'error' | 'warn' | 'debug' | 'none';
}

/** The one rendering of every error, for the filter and for what the framework answers before it (see libs/http). */
export function renderError(exception: unknown, isOutage: OutageClassifier = () => false): RenderedError {
  let response: ErrorResponse;
  let log: LogLevel;
  try {
    response = classify(exception, isOutage);
    log = logLevelOf(exception, response);
  } catch {
    // An exception whose properties throw when read is still a server fault to answer.
    response = fromOAuthError(INTERNAL_ERROR);
    log = 'error';
  }
  return {
    status: response.status,
    headers: {
      ...response.headers,
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'content-type': 'application/json',
    },
    body: { error: response.error, error_description: toErrorDescription(response.description) },
    log,
  };
}

/** Sends an error through Fastify's reply, rendered as renderError does. */
export function sendError(reply: FastifyReply, rendered: RenderedError): void {
  reply.code(rendered.status).headers(rendered.headers).send(rendered.body);
}

/** What a log line may say about a failure that is not ours: its name, code and message, without a stack. */
function describe(exception: unknown): string {
  if (typeof exception !== 'object' || exception === null) return typeof exception;
  const { name, code, message } = exception as { name?: unknown; code?: unknown; message?: unknown };
  const kind = [name, code].filter((part) => typeof part === 'string').join(' ');
  return `${kind || 'object'}: ${typeof message === 'string' ? message : ''}`;
}

function correlationIdOf(request: FastifyRequest | undefined): string | undefined {
  if (typeof request?.id === 'string') return request.id;
  const header = request?.headers?.['x-request-id'];
  return typeof header === 'string' ? header : undefined;
}

/** Logs a failure as renderError judged it (see logLevelOf), with the request's correlation id. */
export function logRenderedError(
  logger: Pick<Logger, 'error' | 'warn' | 'debug'>,
  exception: unknown,
  rendered: RenderedError,
  correlationId: string | undefined,
): void {
  const request = correlationId ? ` (request ${correlationId})` : '';
  if (rendered.log === 'error') {
    logger.error(`Server error${request}`, exception instanceof Error ? exception.stack : inspect(exception));
  } else if (rendered.log !== 'none') {
    logger[rendered.log](`${rendered.body.error}${request}: ${describe(exception)}`);
  }
}

/**
 * The one place that renders errors (ARCHITECTURE §6): OAuth errors as RFC 6749 §5.2 JSON with
 * `{ error, error_description }` and nothing else, every other failure in the same shape, and
 * never internals: server faults are logged with the request's correlation id instead.
 */
@Catch()
export class OAuthExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(OAuthExceptionFilter.name);

  constructor(private readonly isOutage: OutageClassifier = () => false) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    try {
      // A consumer's handler (Kafka or embedded, inheritAppConfig): its transport's retry and
      // dead-letter policy judges the error as it was thrown.
      if (host.getType() !== 'http') return throwError(() => exception);
      const http = host.switchToHttp();
      const rendered = renderError(exception, this.isOutage);
      sendError(http.getResponse<FastifyReply>(), rendered);
      logRenderedError(
        this.logger,
        exception,
        rendered,
        correlationIdOf(http.getRequest<FastifyRequest | undefined>()),
      );
    } catch (failure) {
      this.logger.error('The exception filter failed.', failure instanceof Error ? failure.stack : undefined);
    }
  }
}
