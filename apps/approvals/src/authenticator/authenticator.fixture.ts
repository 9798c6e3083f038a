import { randomBytes } from 'node:crypto';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { PostgresEventStore } from '@backchannel/event-store';
import type { AuthRequestEvent, AuthRequested } from '@backchannel/events';
import { OAuthExceptionFilter } from '@backchannel/oauth';
import { TEST_ADMIN_TOKEN, featureTestingModule, recordRequest, testConfig } from '@backchannel/testing';
import { ApprovalsModule } from '../approvals.module.js';
import { SoftwareAuthenticator } from './passkeys/software-authenticator.fixture.js';

export const config = testConfig();
const [ORIGIN] = config.webAuthn.origins;

/** The approvals service over HTTP (Fastify inject) on the real PostgreSQL, rendering errors as the services do. */
export async function startApprovals(): Promise<NestFastifyApplication> {
  const module = await featureTestingModule(ApprovalsModule, config, 'approvals-int-spec').compile();
  const app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  app.useGlobalFilters(new OAuthExceptionFilter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

export interface Call {
  status: number;
  body: unknown;
  headers: Record<string, unknown>;
}

/** A JSON call to the app; `token` is a device or admin bearer token. */
export async function call(
  app: NestFastifyApplication,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  token?: string,
): Promise<Call> {
  const response = await app.inject({
    method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body !== undefined && { payload: body as object }),
  });
  return { status: response.statusCode, body: response.body ? response.json() : undefined, headers: response.headers };
}

export function newAuthenticator(options?: { userVerified: boolean }): SoftwareAuthenticator {
  return new SoftwareAuthenticator(config.webAuthn.rpId, ORIGIN!, options);
}

/** A new user in the directory (admin API). */
export async function createUser(app: NestFastifyApplication, prefix: string): Promise<string> {
  const subject = `${prefix}-${randomBytes(6).toString('hex')}`;
  const created = await call(app, 'POST', '/admin/v1/users', { sub: subject }, TEST_ADMIN_TOKEN);
  if (created.status !== 201) throw new Error(`user not created: ${created.status}`);
  return subject;
}

/** A new enrolment code for the user (admin API). */
export async function createEnrolmentCode(app: NestFastifyApplication, subject: string): Promise<string> {
  const created = await call(app, 'POST', `/admin/v1/users/${subject}/enrolments`, undefined, TEST_ADMIN_TOKEN);
  if (created.status !== 201) throw new Error(`enrolment not created: ${created.status}`);
  return (created.body as { enrolment_code: string }).enrolment_code;
}

export interface EnrolledDevice {
  subject: string;
  deviceId: string;
  deviceToken: string;
  /** An enrolled device answers with its passkey only. */
  answerDoor: 'passkey';
  authenticator: SoftwareAuthenticator;
}

/** A user enrolled through the authenticator's API with a software passkey. */
export async function enrolDevice(
  app: NestFastifyApplication,
  subject: string,
  authenticator = newAuthenticator(),
): Promise<EnrolledDevice> {
  const code = await createEnrolmentCode(app, subject);
  const options = await call(app, 'POST', '/authenticator/api/enrolment/options', { code });
  const registration = authenticator.register(options.body as PublicKeyCredentialCreationOptionsJSON);
  const verified = await call(app, 'POST', '/authenticator/api/enrolment/verify', { code, response: registration });
  if (verified.status !== 201) throw new Error(`enrolment failed: ${JSON.stringify(verified.body)}`);
  const { device_id, device_token } = verified.body as { device_id: string; device_token: string };
  return { subject, deviceId: device_id, deviceToken: device_token, answerDoor: 'passkey', authenticator };
}

/** A CIBA request for the user, recorded and listed on the user's devices as /bc-authorize does. */
export async function pendingRequest(
  app: NestFastifyApplication,
  subject: string,
  request: Partial<
    Pick<
      AuthRequested['data'],
      'scope' | 'bindingMessage' | 'expiresAt' | 'authorizationDetails' | 'requestedClaims' | 'wording'
    >
  > = {},
): Promise<{ requestId: string; streamId: string }> {
  const requested = await recordRequest(app, subject, {
    clientId: 'client-of-authenticator-int-spec',
    clientName: 'Authenticator int-spec client',
    ...request,
  });
  return { requestId: requested.data.requestId, streamId: requested.streamId };
}

/** The stream's events, as recorded. */
export async function streamEvents(app: NestFastifyApplication, streamId: string): Promise<AuthRequestEvent[]> {
  return (await app.get(PostgresEventStore).readStream<AuthRequestEvent>(streamId)).events;
}
