import { randomBytes, type X509Certificate } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { authRequestDecider } from '@backchannel/auth-request';
import { ClientRegistry } from '@backchannel/clients';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { type AuthRequested, authRequestStreamId } from '@backchannel/events';
import type { OAuthFormRequest } from '@backchannel/http';
import { DataSource } from 'typeorm';
import { OAuthError } from '@backchannel/oauth';

/** Test support for the token service's int specs: registered clients, approved requests, forms. */

export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
export const TEST_SUBJECT = 'token-int-spec-user';

export interface TestClient {
  clientId: string;
  clientSecret: string;
}

/** A poll client registered through the registry, with `metadata` on top. */
export async function registerClient(app: TestingModule, metadata: Record<string, unknown>): Promise<TestClient> {
  const registered = await app
    .get(ClientRegistry)
    .register(
      { client_name: 'Token int-spec client', backchannel_token_delivery_mode: 'poll', ...metadata },
      { actor: 'admin', correlationId: 'token-int-spec', now: new Date() },
    );
  return { clientId: registered.client.clientId, clientSecret: registered.clientSecret! };
}

/** A form request authenticated with the client's secret (HTTP Basic). */
export function clientForm(
  client: TestClient,
  params: Record<string, string>,
  extra: { certificate?: X509Certificate; dpopProof?: string } = {},
): OAuthFormRequest {
  const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
  return {
    params: new Map(Object.entries(params)),
    authorization: `Basic ${basic}`,
    clientCertificate: extra.certificate ?? null,
    ...(extra.dpopProof !== undefined && { dpopProof: extra.dpopProof }),
    correlationId: 'token-int-spec',
    now: new Date(),
  };
}

/**
 * A request of `client` for `scope`, approved by `subject` (added to the directory if missing: its
 * tokens are accepted only while the user is): ready for the CIBA grant.
 */
export async function approvedRequest(
  app: TestingModule,
  client: TestClient,
  {
    subject = TEST_SUBJECT,
    scope = ['openid', 'email'],
    asked = {},
  }: {
    subject?: string;
    scope?: string[];
    /** What else the request asked: resources, authorization details, claims. */
    asked?: Pick<AuthRequested['data'], 'resources' | 'authorizationDetails' | 'requestedClaims'>;
  } = {},
): Promise<{ authReqId: string; streamId: string }> {
  const store = app.get(PostgresEventStore);
  await app.get(DataSource).query(`INSERT INTO users (subject) VALUES ($1) ON CONFLICT DO NOTHING`, [subject]);
  const authReqId = randomBytes(32).toString('base64url');
  const streamId = authRequestStreamId(authReqId);
  const metadata = { now: new Date().toISOString(), correlationId: 'token-int-spec', actor: 'test' };
  await handleCommand(store, streamId, authRequestDecider, {
    type: 'RequestAuthentication',
    data: {
      requestId: `req_${authReqId.slice(0, 12)}`,
      clientId: client.clientId,
      clientName: 'Token int-spec client',
      subject,
      hintKind: 'login_hint',
      scope,
      acrValues: [],
      bindingMessage: null,
      deliveryMode: 'poll',
      pollInterval: 5,
      clientNotification: null,
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      ...asked,
    },
    metadata,
  });
  await handleCommand(store, streamId, authRequestDecider, {
    type: 'GiveConsent',
    data: { subject, deviceId: 'dev_token_int_spec' },
    metadata,
  });
  return { authReqId, streamId };
}

/** The OAuth error code a call was refused with, or 'accepted'. */
export function oauthErrorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof OAuthError ? error.error : error),
  );
}
