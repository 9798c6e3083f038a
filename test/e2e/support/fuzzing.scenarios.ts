import fc from 'fast-check';

/**
 * Generators of hostile HTTP requests to every public route of Backchannel: what an attacker or a
 * broken client sends (bad encodings, control and bidi characters, lone surrogates, huge and
 * duplicated parameters, wrong JSON types, wrong content types and methods, bad credentials),
 * as the bytes written on the connection, so nothing a client library would refuse is left out.
 */

export interface HostileRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: Buffer;
}

/** The public routes; `{id}` is replaced with a hostile path segment. */
const ROUTES = [
  '/bc-authorize',
  '/token',
  '/introspect',
  '/revoke',
  '/userinfo',
  '/register',
  '/register/{id}',
  '/device/v1/requests',
  '/device/v1/requests/{id}/decision',
  '/device/v1/blocks/{id}',
  '/authenticator/api/requests',
  '/authenticator/api/requests/{id}/options',
  '/authenticator/api/requests/{id}/decision',
  '/authenticator/api/push-key',
  '/authenticator/api/push-subscription',
  '/authenticator/api/enrolment/options',
  '/authenticator/api/enrolment/verify',
  '/.well-known/openid-configuration',
  '/jwks',
  '/admin/v1/clients',
  '/admin/v1/clients/{id}',
  '/admin/v1/users',
  '/admin/v1/users/{id}',
  '/admin/v1/users/{id}/devices',
] as const;

const METHODS = ['GET', 'POST', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND'];

/** Text that breaks naive handling: control, invisible and bidi characters, lone surrogates, JSON and path syntax. */
const NASTY_TEXT = [
  '\u0000',
  '\u0001',
  '\u001b[2J',
  '\r\n',
  '\t',
  '\u007f',
  '\u0085',
  '\u2028',
  '\ud800',
  '\udfff',
  '\udbff\udfff',
  '\u200b',
  '\u202e',
  '\u2066',
  '\ufeff',
  '\uffff',
  '👩‍💻',
  'é',
  '"',
  '\\',
  "'",
  '{',
  '[]',
  'null',
  '-1',
  '1e309',
  '../',
  '%',
  '&',
  '=',
  '+',
  '#',
  '?',
  ' ',
  'https://evil.com\\@good.com',
  'http://169.254.169.254/',
  'alice',
];

/** Percent-encodings that decode to nothing valid: NUL, overlong and invalid UTF-8, an encoded surrogate, broken escapes. */
const NASTY_ENCODED = [
  '%00',
  '%C0%AF',
  '%C0%80',
  '%FF',
  '%FE%FF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%E2%80%AE',
  '%',
  '%2',
  '%zz',
  '%25',
];

const nastyText = fc.oneof(
  fc.constantFrom(...NASTY_TEXT),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer({ min: 1, max: 70_000 }).map((length) => 'a'.repeat(length)),
);

const hostileText = fc.array(nastyText, { minLength: 0, maxLength: 4 }).map((parts) => parts.join(''));

/** UTF-8 percent-encoding that also takes lone surrogates (encodeURIComponent throws on them). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

const encodedText = fc.oneof(
  hostileText.map(percentEncode),
  fc
    .array(fc.oneof(fc.constantFrom(...NASTY_ENCODED), hostileText.map(percentEncode)), { maxLength: 4 })
    .map((parts) => parts.join('')),
);

const FORM_NAMES = [
  'grant_type',
  'auth_req_id',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'scope',
  'login_hint',
  'login_hint_token',
  'id_token_hint',
  'binding_message',
  'user_code',
  'requested_expiry',
  'acr_values',
  'request',
  'token',
  'token_type_hint',
  'refresh_token',
  'authorization_details',
  'claims',
  'resource',
];

const formName = fc.oneof(fc.constantFrom(...FORM_NAMES), encodedText);
const formValue = fc.oneof(
  encodedText,
  fc.constantFrom(
    'urn:openid:params:grant-type:ciba',
    'openid',
    'alice',
    'refresh_token',
    'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  ),
);

/** A form body: known and unknown names, duplicated, with hostile values. */
const formBody = fc
  .array(fc.tuple(formName, formValue), { maxLength: 8 })
  .chain((pairs) => fc.tuple(fc.constant(pairs), fc.subarray(pairs)))
  .map(([pairs, repeated]) => [...pairs, ...repeated].map(([name, value]) => `${name}=${value}`).join('&'));

const JSON_KEYS = [
  'client_name',
  'backchannel_client_notification_endpoint',
  'backchannel_token_delivery_mode',
  'token_endpoint_auth_method',
  'grant_types',
  'jwks',
  'sub',
  'username',
  'email',
  'name',
  'webhook_url',
  'channel',
  'endpoint',
  'keys',
  'decision',
  'scope',
  'response',
  'id',
  'type',
];

/** JSON text as a client writes it: any value, hostile strings (as \u escapes, so lone surrogates too), known keys, duplicated keys. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileText.map((text) => JSON.stringify(text)),
    fc.constantFrom('null', 'true', 'false', '0', '-1', '1e400', '12345678901234567890', '[]', '{}'),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...JSON_KEYS), hostileText), tie('value')), { maxLength: 5 })
      .chain((entries) => fc.tuple(fc.constant(entries), fc.subarray(entries)))
      .map(
        ([entries, repeated]) =>
          `{${[...entries, ...repeated].map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`,
      ),
  ),
})).value;

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=ISO-8859-1',
  'application/json',
  'application/json; charset=utf-16',
  'application/jwt',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded, application/json',
  '',
];

/** A body of any kind under any content type: the two are drawn apart, so they often disagree. */
const body = fc.oneof(
  formBody.map((text) => Buffer.from(text, 'latin1')),
  jsonText.map((text) => Buffer.from(text, 'utf8')),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), // {"a":"<overlong />"}
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), // {"a":"<encoded surrogate>"}
    Buffer.from('{"decision":"approve","decision":"deny"}'),
    Buffer.alloc(0),
  ),
);

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Credentials that are wrong, malformed, or right for the wrong route (the admin token). */
function credentials(adminToken: string): fc.Arbitrary<[string, string][]> {
  return fc.oneof(
    fc.constant<[string, string][]>([]),
    fc
      .tuple(hostileText, hostileText)
      .map(([id, secret]): [string, string][] => [['Authorization', `Basic ${base64(`${id}:${secret}`)}`]]),
    fc.constantFrom<[string, string][]>(
      [['Authorization', 'Basic']],
      [['Authorization', 'Basic !!!!']],
      [['Authorization', `Basic ${base64('no-colon')}`]],
      [['Authorization', 'Bearer']],
      [['Authorization', 'Bearer a b']],
      [['Authorization', `Bearer ${adminToken}`]],
      [['Authorization', `bearer ${adminToken}x`]],
      [
        ['Authorization', 'DPoP eyJhbGciOiJub25lIn0.e30.'],
        ['DPoP', 'eyJhbGciOiJub25lIn0.e30.'],
      ],
      [['DPoP', 'not-a-jwt']],
      [
        ['DPoP', 'a'],
        ['DPoP', 'b'],
      ],
      [
        ['Authorization', 'Basic YTpi'],
        ['Authorization', 'Basic YzpkZA=='],
      ],
      [['Authorization', 'Negotiate \u00ff\u00fe']],
    ),
    encodedText.map((token): [string, string][] => [['Authorization', `Bearer ${token}`]]),
  );
}

/**
 * One hostile request per public route (an overlong UTF-8 segment, a lone surrogate in a JSON
 * body, the admin token where the route takes it), so a run the time limit cuts short still
 * reaches every route.
 */
export function requestPerRoute(adminToken: string): HostileRequest[] {
  return ROUTES.map((route) => ({
    method: 'POST',
    target: route.replace('{id}', '%C0%AF'),
    headers: [
      ['Content-Type', 'application/json'],
      ['Authorization', `Bearer ${adminToken}`],
    ],
    body: Buffer.from('{"client_name":"\\ud800","scope":"openid"}'),
  }));
}

export function hostileRequests(adminToken: string): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      method: fc.constantFrom(...METHODS),
      route: fc.constantFrom(...ROUTES),
      segment: encodedText.filter((text) => text.length > 0 && text.length < 4_000),
      query: fc.option(
        formBody.filter((text) => text.length < 4_000),
        { nil: undefined },
      ),
      contentType: fc.constantFrom(...CONTENT_TYPES),
      body,
      credentials: credentials(adminToken),
    })
    .map(({ method, route, segment, query, contentType, body, credentials }) => ({
      method,
      target: route.replace('{id}', segment) + (query === undefined ? '' : `?${query}`),
      headers: [...(contentType ? ([['Content-Type', contentType]] as [string, string][]) : []), ...credentials],
      body,
    }));
}

/** The bytes of `request` on a connection the server closes after answering. */
export function requestBytes(request: HostileRequest): Buffer {
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${request.body.length}`,
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), request.body]);
}
