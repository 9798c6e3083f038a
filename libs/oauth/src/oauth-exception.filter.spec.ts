import { jest } from '@jest/globals';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  GoneException,
  HttpException,
  ImATeapotException,
  InternalServerErrorException,
  Logger,
  MethodNotAllowedException,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
  type ArgumentsHost,
} from '@nestjs/common';
import {
  AccessDenied,
  AuthorizationPending,
  ExpiredToken,
  InvalidClient,
  InvalidDpopProof,
  InvalidGrant,
  InvalidRequest,
  InvalidToken,
  ServerError,
  SlowDown,
  TemporarilyUnavailable,
  TooManyRequests,
  UnauthorizedClient,
  UseDpopNonce,
  type OAuthError,
} from './oauth-errors.js';
import { lastValueFrom } from 'rxjs';
import { OAuthExceptionFilter } from './oauth-exception.filter.js';

const RFC_6749_ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;
const INTERNAL = { error: 'server_error', error_description: 'The server encountered an internal error.' };

/** What the filter sent, recorded by a fake reply with Fastify's chaining API. */
interface SentReply {
  status?: number;
  headers: Record<string, string>;
  body?: unknown;
}

function hostFor(reply: object, request: object = { headers: {} }): ArgumentsHost {
  return {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ArgumentsHost;
}

function render(exception: unknown, request?: object): SentReply {
  const sent: SentReply = { headers: {} };
  const reply = {
    code: (status: number) => ((sent.status = status), reply),
    headers: (values: Record<string, string>) => (Object.assign(sent.headers, values), reply),
    send: (body: unknown) => ((sent.body = body), reply),
  };
  new OAuthExceptionFilter().catch(exception, hostFor(reply, request));
  return sent;
}

let loggedErrors: jest.SpiedFunction<Logger['error']>;
beforeEach(() => {
  loggedErrors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});
afterEach(() => loggedErrors.mockRestore());

describe('OAuthExceptionFilter', () => {
  describe('OAuth errors', () => {
    it.each<[OAuthError, number]>([
      [new InvalidRequest('The scope parameter is required.'), 400],
      [new InvalidGrant('The auth_req_id has already been used.'), 400],
      [new UnauthorizedClient('The client is configured in push mode.'), 400],
      [new AuthorizationPending('The end-user has not yet been authenticated.'), 400],
      [new SlowDown('Poll less often.'), 400],
      [new ExpiredToken('The auth_req_id has expired.'), 400],
      [new AccessDenied('The end-user denied the authorization request.', 400), 400],
      [new AccessDenied('The request was refused by policy.', 403), 403],
      [new ServerError('The server encountered an internal error.'), 500],
    ])('renders %p as its status and exactly { error, error_description }, not cacheable', (exception, status) => {
      const reply = render(exception);
      expect(reply.status).toBe(status);
      expect(reply.body).toStrictEqual({ error: exception.error, error_description: exception.description });
      expect(reply.headers).toEqual({
        'cache-control': 'no-store',
        pragma: 'no-cache',
        'content-type': 'application/json',
      });
    });

    it('challenges a missing or invalid bearer token with 401 (RFC 6750 §3), not a refused one with 403', () => {
      expect(render(new InvalidToken('Invalid token')).headers['www-authenticate']).toBe(
        'Bearer error="invalid_token"',
      );
      const refused = render(new InvalidToken('Invalid token', 403));
      expect(refused.status).toBe(403);
      expect(refused.headers['www-authenticate']).toBeUndefined();
    });

    it('challenges a failed client authentication', () => {
      const reply = render(new InvalidClient('Client authentication failed.'));
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' });
      expect(reply.headers['www-authenticate']).toBe('Basic realm="backchannel"');
    });

    it('tells a shed client when to come back', () => {
      const reply = render(new TemporarilyUnavailable('The server is busy.', 7));
      expect(reply.status).toBe(503);
      expect(reply.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The server is busy.' });
      expect(reply.headers['retry-after']).toBe('7');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(loggedErrors).not.toHaveBeenCalled();
    });

    it('tells an address that failed to authenticate too often when it may try again (429)', () => {
      const reply = render(new TooManyRequests('Too many failed authentications.', 42));
      expect(reply.status).toBe(429);
      expect(reply.body).toEqual({ error: 'too_many_requests', error_description: 'Too many failed authentications.' });
      expect(reply.headers['retry-after']).toBe('42');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(loggedErrors).not.toHaveBeenCalled();
    });

    it('sends the current DPoP nonce with use_dpop_nonce, and challenges only at a protected resource', () => {
      const atToken = render(new UseDpopNonce('A DPoP nonce is required.', 'n-1'));
      expect(atToken.status).toBe(400);
      expect(atToken.headers['dpop-nonce']).toBe('n-1');
      expect(atToken.headers['www-authenticate']).toBeUndefined();

      const atResource = render(new UseDpopNonce('A DPoP nonce is required.', 'n-2', 401));
      expect(atResource.status).toBe(401);
      expect(atResource.headers['www-authenticate']).toBe('DPoP error="use_dpop_nonce"');
      expect(atResource.headers['dpop-nonce']).toBe('n-2');

      const broken = render(new InvalidDpopProof('The DPoP proof is too old.', 401));
      expect(broken.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'The DPoP proof is too old.' });
      expect(broken.headers['www-authenticate']).toBe('DPoP error="invalid_dpop_proof"');
    });

    it('logs a deliberate server_error', () => {
      render(new ServerError('The server encountered an internal error.'));
      expect(loggedErrors).toHaveBeenCalledTimes(1);
    });

    it('keeps a description within the RFC 6749 character set whatever it was given', () => {
      const reply = render(new InvalidRequest('bad "value"\n\\ here'));
      expect(reply.body).toEqual({ error: 'invalid_request', error_description: "bad 'value' here" });
    });
  });

  describe('Nest HTTP exceptions', () => {
    it.each<[HttpException, number, string]>([
      [new BadRequestException('The body is not valid.'), 400, 'invalid_request'],
      [new UnauthorizedException('The admin token is missing.'), 401, 'unauthorized'],
      [new ForbiddenException('The admin token is not allowed.'), 403, 'forbidden'],
      [new NotFoundException('Cannot POST /nowhere'), 404, 'not_found'],
      [new MethodNotAllowedException('Use POST.'), 405, 'method_not_allowed'],
      [new ConflictException('The client already exists.'), 409, 'conflict'],
      [new GoneException('The request expired.'), 410, 'gone'],
      [new PayloadTooLargeException('Too large.'), 413, 'request_too_large'],
      [new UnsupportedMediaTypeException('Send JSON.'), 415, 'unsupported_media_type'],
      [new ImATeapotException('Short and stout.'), 418, 'http_418'],
    ])('renders %p with a stable error code and its message', (exception, status, error) => {
      const reply = render(exception);
      expect(reply.status).toBe(status);
      expect(reply.body).toStrictEqual({ error, error_description: exception.message });
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(loggedErrors).not.toHaveBeenCalled();
    });

    it('challenges for a bearer token on 401', () => {
      expect(render(new UnauthorizedException()).headers['www-authenticate']).toBe('Bearer');
    });

    it('sanitizes the message', () => {
      const reply = render(new ConflictException('client "a\\b"\r\nexists \u00e9'));
      expect(reply.body).toEqual({ error: 'conflict', error_description: "client 'a b' exists" });
    });

    it('never echoes the message of a server-side HTTP exception, and logs it', () => {
      const reply = render(new InternalServerErrorException('password=hunter2 in db config'));
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual(INTERNAL);
      expect(loggedErrors).toHaveBeenCalled();
    });

    it('treats an HTTP exception with a non-error status as a server fault', () => {
      const reply = render(new HttpException('Redirect somewhere', 302));
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual(INTERNAL);
    });
  });

  describe("Fastify's request errors", () => {
    function fastifyError(code: string, statusCode: number, message: string) {
      return Object.assign(new Error(message), { code, statusCode });
    }

    it.each([
      [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'), 413, 'request_too_large'],
      [
        fastifyError(
          'FST_ERR_CTP_EMPTY_JSON_BODY',
          400,
          "Body cannot be empty when content-type is set to 'application/json'",
        ),
        400,
        'invalid_request',
      ],
      [
        fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'Body is not valid JSON at /opt/app'),
        400,
        'invalid_request',
      ],
      [
        Object.assign(new SyntaxError('Unexpected token } in JSON at position 7'), { statusCode: 400 }),
        400,
        'invalid_request',
      ],
    ])('renders %p with its status and a generic description', (exception, status, error) => {
      const reply = render(exception);
      expect(reply.status).toBe(status);
      expect(reply.body).toMatchObject({ error });
      expect((reply.body as { error_description: string }).error_description).not.toContain(exception.message);
      expect(reply.headers['cache-control']).toBe('no-store');
    });

    it('answers an unsupported content type with 400 invalid_request (checklist D-1)', () => {
      const reply = render(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'));
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({
        error: 'invalid_request',
        error_description: 'The request content type is not supported.',
      });
    });

    it('sees through the HttpException that Nest wraps around them', () => {
      const wrap = (cause: Error & { statusCode: number }) =>
        new HttpException(cause.message, cause.statusCode, { cause });
      const tooLarge = render(wrap(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large')));
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body).toEqual({
        error: 'request_too_large',
        error_description: 'The request body is too large.',
      });
      const mediaType = render(wrap(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type')));
      expect(mediaType.status).toBe(400);
      expect(mediaType.body).toMatchObject({ error: 'invalid_request' });
    });

    it('does not trust a status code on an error that is not from Fastify', () => {
      expect(render(Object.assign(new Error('upstream said 404'), { statusCode: 404 })).status).toBe(500);
      expect(render(fastifyError('FST_ERR_SOMETHING', 503, 'internal')).status).toBe(500);
    });
  });

  describe("what Node's HTTP server could not read, and bodies a client broke off", () => {
    it.each([
      [Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), 408, 'request_timeout'],
      [Object.assign(new Error('Header overflow'), { code: 'HPE_HEADER_OVERFLOW' }), 431, 'request_header_too_large'],
      [
        Object.assign(new Error('Invalid character in chunk size'), { code: 'HPE_INVALID_CHUNK_SIZE' }),
        400,
        'invalid_request',
      ],
      [Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 }), 400, 'invalid_request'],
    ])('renders %p as %p %p, logged at most at debug level', (exception, status, error) => {
      const reply = render(exception);
      expect(reply.status).toBe(status);
      expect(reply.body).toMatchObject({ error });
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(loggedErrors).not.toHaveBeenCalled();
    });
  });

  describe('an outage of a dependency', () => {
    it('answers 503 temporarily_unavailable with Retry-After when the classifier calls it an outage', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
      const sent: SentReply = { headers: {} };
      const reply = {
        code: (status: number) => ((sent.status = status), reply),
        headers: (values: Record<string, string>) => (Object.assign(sent.headers, values), reply),
        send: (body: unknown) => ((sent.body = body), reply),
      };
      new OAuthExceptionFilter((error) => error === refused).catch(refused, hostFor(reply));
      expect(sent.status).toBe(503);
      expect(sent.headers['retry-after']).toBe('5');
      expect(JSON.stringify(sent.body)).not.toContain('10.0.0.7');
      expect(loggedErrors).not.toHaveBeenCalled();
    });
  });

  describe('outside HTTP (a consumer handler, Kafka or embedded)', () => {
    it('hands the error back unchanged, for the transport to retry or dead-letter', async () => {
      const failure = Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
      const host = { getType: () => 'rpc' } as unknown as ArgumentsHost;
      const result = new OAuthExceptionFilter().catch(failure, host);
      await expect(lastValueFrom(result!)).rejects.toBe(failure);
      expect(loggedErrors).not.toHaveBeenCalled();
    });
  });

  describe('anything else', () => {
    it('answers 500 server_error without internals and logs the cause with the correlation id', () => {
      const cause = new TypeError("Cannot read properties of undefined (reading 'secret')");
      const reply = render(cause, { id: 'req-42', headers: { 'x-request-id': 'req-42' } });
      expect(reply.status).toBe(500);
      expect(reply.body).toStrictEqual(INTERNAL);
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(loggedErrors).toHaveBeenCalledWith(expect.stringContaining('req-42'), cause.stack);
    });

    it('falls back to the x-request-id header when the request has no id', () => {
      render(new Error('boom'), { headers: { 'x-request-id': 'from-header' } });
      expect(loggedErrors).toHaveBeenCalledWith(expect.stringContaining('from-header'), expect.anything());
    });

    it.each([
      ['a string', 'boom'],
      ['null', null],
      ['an object without prototype', Object.create(null) as object],
      [
        'an object whose properties throw',
        {
          get statusCode(): number {
            throw new Error('getter');
          },
        },
      ],
    ])('answers 500 to a thrown %s', (_case, exception) => {
      const reply = render(exception);
      expect(reply.status).toBe(500);
      expect(reply.body).toStrictEqual(INTERNAL);
    });

    it('never throws itself, even when the reply cannot be sent', () => {
      const broken = {
        code: () => {
          throw new Error('socket closed');
        },
      };
      expect(() => new OAuthExceptionFilter().catch(new InvalidRequest('x'), hostFor(broken))).not.toThrow();
      expect(() => new OAuthExceptionFilter().catch(new Error('x'), {} as ArgumentsHost)).not.toThrow();
      expect(loggedErrors).toHaveBeenCalledTimes(2);
    });
  });

  it('only ever sends descriptions within the RFC 6749 character set', () => {
    const exceptions = [
      new InvalidRequest('tab\there "quoted" \\ caf\u00e9'),
      new NotFoundException('Cannot GET /\u202Eevil"'),
      new ImATeapotException(),
      new Error('internal'),
    ];
    for (const exception of exceptions) {
      expect((render(exception).body as { error_description: string }).error_description).toMatch(
        RFC_6749_ERROR_DESCRIPTION,
      );
    }
  });
});
