import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import { PostgresEventStore } from '@backchannel/event-store';
import { userStreamId } from '@backchannel/events';
import { TEST_ADMIN_TOKEN } from '@backchannel/testing';
import {
  type EnrolledDevice,
  call,
  createUser,
  enrolDevice,
  newAuthenticator,
  pendingRequest,
  startApprovals,
  streamEvents,
} from '../authenticator.fixture.js';
import { PasskeysRepository } from '../passkeys/passkeys.repository.js';
import { PasskeyDecisionService } from './passkey-decision.service.js';
import type { ConsentView } from './consent-wording.js';
import { decisionChallenge } from './decision-challenge.js';

/** Passkey-signed decisions in the built-in authenticator over HTTP, on the real PostgreSQL. */
describe('authenticator decisions', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startApprovals();
  });

  afterAll(async () => {
    await app?.close();
  });

  const requestUrl = (requestId: string, action: 'challenge' | 'decision') =>
    `/authenticator/api/requests/${requestId}/${action}`;

  function askChallenge(device: EnrolledDevice, requestId: string, decision: string) {
    return call(app, 'POST', requestUrl(requestId, 'challenge'), { decision }, device.deviceToken);
  }

  async function challenge(device: EnrolledDevice, requestId: string, decision: string) {
    const answer = await askChallenge(device, requestId, decision);
    expect(answer.status).toBe(200);
    return answer.body as PublicKeyCredentialRequestOptionsJSON;
  }

  function decide(device: EnrolledDevice, requestId: string, decision: string, response: unknown) {
    return call(app, 'POST', requestUrl(requestId, 'decision'), { decision, response }, device.deviceToken);
  }

  async function enrolledUser(prefix: string, options?: { userVerified: boolean }): Promise<EnrolledDevice> {
    return enrolDevice(app, await createUser(app, prefix), newAuthenticator(options));
  }

  /** The decisions recorded on the request's stream. */
  const decisionsOn = async (streamId: string) =>
    (await streamEvents(app, streamId)).filter(
      (event) => event.type === 'ConsentGiven' || event.type === 'ConsentDenied',
    );

  it("lists the user's requests with scopes in plain words and the binding message as sent", async () => {
    const device = await enrolledUser('list');
    const message = '‮Pay 100 € <b>now</b>\nאישור';
    const { requestId } = await pendingRequest(app, device.subject, {
      scope: ['openid', 'profile', 'payments:read'],
      bindingMessage: message,
    });

    const listed = await call(app, 'GET', '/authenticator/api/requests', undefined, device.deviceToken);
    expect(listed.headers['cache-control']).toBe('no-store');
    expect(listed.body).toEqual([
      {
        request_id: requestId,
        client_id: 'client-of-authenticator-int-spec',
        client_name: 'Authenticator int-spec client',
        scope: 'openid profile payments:read',
        scopes: [
          { scope: 'openid', description: 'Confirm who you are' },
          { scope: 'profile', description: 'Your name and profile' },
          { scope: 'payments:read', description: 'payments:read' },
        ],
        authorization_details: [],
        claims: [],
        binding_message: message,
        acr_values: [],
        created_at: expect.any(String),
        expires_at: expect.any(String),
        expires_in: expect.any(Number),
      },
    ]);
    expect((listed.body as { expires_in: number }[])[0]!.expires_in).toBeGreaterThan(50);
    expect((await call(app, 'GET', '/authenticator/api/requests', undefined, 'not-a-device-token')).status).toBe(401);
  });

  it('approves with a passkey assertion over the challenge derived from the request, recording the evidence', async () => {
    const device = await enrolledUser('approve');
    const { requestId, streamId } = await pendingRequest(app, device.subject);

    const options = await challenge(device, requestId, 'approve');
    expect(options).toMatchObject({
      userVerification: 'preferred',
      allowCredentials: [{ id: device.authenticator.credentialId, type: 'public-key', transports: ['internal'] }],
    });
    const answer = await decide(device, requestId, 'approve', device.authenticator.assert(options.challenge));

    expect(answer.status).toBe(204);
    const consent = (await streamEvents(app, streamId)).find((event) => event.type === 'ConsentGiven');
    const challengeBytes = Buffer.from(options.challenge, 'base64url');
    expect(consent?.data).toEqual({
      requestId,
      subject: device.subject,
      deviceId: device.deviceId,
      grantedScope: ['openid', 'email'],
      authenticatedAt: expect.any(String),
      evidence: {
        method: 'webauthn',
        credentialId: device.authenticator.credentialId,
        userVerified: true,
        challengeHash: createHash('sha256').update(challengeBytes).digest('base64url'),
        signCount: 1,
      },
    });
    expect((await app.get(PasskeysRepository).find(device.authenticator.credentialId))?.counter).toBe(1);
    expect((await call(app, 'GET', '/authenticator/api/requests', undefined, device.deviceToken)).body).toEqual([]);
  });

  it('shows authorization details, claims and API scopes in plain words, and the passkey signs exactly that view', async () => {
    const device = await enrolledUser('rich');
    const payment = {
      type: 'payment_initiation',
      actions: ['initiate'],
      instructedAmount: { currency: 'EUR', amount: '42.00' },
    };
    const { requestId } = await pendingRequest(app, device.subject, {
      scope: ['openid', 'payments'],
      bindingMessage: null,
      authorizationDetails: [payment],
      requestedClaims: { userinfo: ['birthdate'], id_token: [] },
      wording: {
        scopes: { payments: 'Make payments from your accounts' },
        authorizationDetailTypes: { payment_initiation: 'Pay someone' },
      },
    });
    const listed = (await call(app, 'GET', '/authenticator/api/requests', undefined, device.deviceToken))
      .body as ConsentView[];
    const view: ConsentView = {
      scopes: [
        { scope: 'openid', description: 'Confirm who you are' },
        { scope: 'payments', description: 'Make payments from your accounts' },
      ],
      authorization_details: [
        {
          type: 'payment_initiation',
          description: 'Pay someone',
          fields: [
            { label: 'Actions', value: 'initiate' },
            // members in jsonb's order (shorter names first), the same in every view of the request
            { label: 'Instructed amount', value: 'Amount: 42.00; Currency: EUR' },
          ],
          detail: payment,
        },
      ],
      claims: [{ claim: 'birthdate', description: 'Your date of birth' }],
    };
    expect(listed[0]).toMatchObject(view);

    const options = await challenge(device, requestId, 'approve');
    const nonce = (await app
      .get(DataSource)
      .query(`SELECT nonce FROM decision_nonces WHERE request_id = $1`, [requestId])) as { nonce: string }[];
    const expected = decisionChallenge({
      requestId,
      consent: view,
      bindingMessage: null,
      decision: 'approve',
      nonce: nonce[0]!.nonce,
    });
    expect(Buffer.from(options.challenge, 'base64url')).toEqual(Buffer.from(expected));
    const answer = await decide(device, requestId, 'approve', device.authenticator.assert(options.challenge));
    expect(answer.status).toBe(204);
  });

  it('records userVerified false when the authenticator only tested presence', async () => {
    const device = await enrolledUser('presence', { userVerified: false });
    const { requestId, streamId } = await pendingRequest(app, device.subject);
    const options = await challenge(device, requestId, 'approve');

    expect((await decide(device, requestId, 'approve', device.authenticator.assert(options.challenge))).status).toBe(
      204,
    );
    const consent = (await streamEvents(app, streamId)).find((event) => event.type === 'ConsentGiven');
    expect(consent?.data).toMatchObject({ evidence: { method: 'webauthn', userVerified: false } });
  });

  it.each([
    ['deny', 'user_denied'],
    ['not_me', 'not_recognized'],
  ])('records "%s" as a denial with reason %s, signed like an approval', async (decision, reason) => {
    const device = await enrolledUser(decision);
    const { requestId, streamId } = await pendingRequest(app, device.subject);
    const options = await challenge(device, requestId, decision);

    expect((await decide(device, requestId, decision, device.authenticator.assert(options.challenge))).status).toBe(
      204,
    );
    const denial = (await streamEvents(app, streamId)).find((event) => event.type === 'ConsentDenied');
    expect(denial?.data).toEqual({ requestId, subject: device.subject, deviceId: device.deviceId, reason });
  });

  it("refuses a signature over another request's challenge, and records nothing", async () => {
    const device = await enrolledUser('swap');
    const shown = await pendingRequest(app, device.subject, { bindingMessage: 'SHOWN' });
    const other = await pendingRequest(app, device.subject, { bindingMessage: 'OTHER' });
    await challenge(device, shown.requestId, 'approve');
    const otherOptions = await challenge(device, other.requestId, 'approve');

    const answer = await decide(
      device,
      shown.requestId,
      'approve',
      device.authenticator.assert(otherOptions.challenge),
    );

    expect(answer.status).toBe(401);
    // our words only: the library's message names the expected challenge
    expect((answer.body as { error_description: string }).error_description).toBe(
      'The passkey signature could not be verified.',
    );
    expect(await decisionsOn(shown.streamId)).toEqual([]);
  });

  it('refuses a signature over another decision than the one sent', async () => {
    const device = await enrolledUser('switch');
    const { requestId, streamId } = await pendingRequest(app, device.subject);
    const denyOptions = await challenge(device, requestId, 'deny');

    expect(
      (await decide(device, requestId, 'approve', device.authenticator.assert(denyOptions.challenge))).status,
    ).toBe(401);
    expect(await decisionsOn(streamId)).toEqual([]);
  });

  it('uses a nonce once: after a failed attempt, an assertion over the same challenge is refused', async () => {
    const device = await enrolledUser('reuse');
    const { requestId, streamId } = await pendingRequest(app, device.subject);
    const options = await challenge(device, requestId, 'approve');
    const assertion = device.authenticator.assert(options.challenge);

    const wrongOrigin = device.authenticator.assert(options.challenge, 'https://elsewhere.example');
    expect((await decide(device, requestId, 'approve', wrongOrigin)).status).toBe(401);
    const reused = await decide(device, requestId, 'approve', assertion);

    expect(reused.status).toBe(400);
    expect((reused.body as { error_description: string }).error_description).toMatch(/no open challenge/);
    expect(await decisionsOn(streamId)).toEqual([]);
  });

  it('refuses a challenge that was replaced by a newer one, and one that expired', async () => {
    const device = await enrolledUser('stale');
    const { requestId } = await pendingRequest(app, device.subject);
    const first = await challenge(device, requestId, 'approve');
    await challenge(device, requestId, 'approve');
    expect((await decide(device, requestId, 'approve', device.authenticator.assert(first.challenge))).status).toBe(401);

    const decisions = app.get(PasskeyDecisionService);
    const late = await challenge(device, requestId, 'approve');
    const body = { decision: 'approve', response: device.authenticator.assert(late.challenge) };
    const twoMinutesLater = new Date(Date.now() + 121_000);
    await expect(decisions.decide(device, requestId, body, 'late', twoMinutesLater)).rejects.toMatchObject({
      status: 400,
    });
  });

  it("refuses another user's passkey, and another user's request reads as unknown", async () => {
    const alice = await enrolledUser('alice');
    const mallory = await enrolledUser('mallory');
    const { requestId, streamId } = await pendingRequest(app, alice.subject);
    const options = await challenge(alice, requestId, 'approve');

    const signedByMallory = mallory.authenticator.assert(options.challenge);
    const answer = await decide(alice, requestId, 'approve', signedByMallory);
    expect(answer.status).toBe(401);
    expect((answer.body as { error_description: string }).error_description).toMatch(/not registered/);

    expect((await askChallenge(mallory, requestId, 'approve')).status).toBe(404);
    expect((await decide(mallory, requestId, 'approve', signedByMallory)).status).toBe(404);
    expect(await decisionsOn(streamId)).toEqual([]);
  });

  it('answers 409 once decided and 410 once expired, before any passkey prompt', async () => {
    const device = await enrolledUser('late');
    const decided = await pendingRequest(app, device.subject);
    const options = await challenge(device, decided.requestId, 'deny');
    expect(
      (await decide(device, decided.requestId, 'deny', device.authenticator.assert(options.challenge))).status,
    ).toBe(204);
    expect((await askChallenge(device, decided.requestId, 'approve')).status).toBe(409);

    const expired = await pendingRequest(app, device.subject, { expiresAt: new Date(Date.now() + 50).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await askChallenge(device, expired.requestId, 'approve')).status).toBe(410);
  });

  it('refuses a device without a passkey (device API only) and malformed bodies', async () => {
    const subject = await createUser(app, 'nokey');
    const plain = await call(
      app,
      'POST',
      `/admin/v1/users/${subject}/devices`,
      { name: 'API device' },
      TEST_ADMIN_TOKEN,
    );
    const token = (plain.body as { device_token: string }).device_token;
    const { requestId } = await pendingRequest(app, subject);

    const noKey = await call(app, 'POST', requestUrl(requestId, 'challenge'), { decision: 'approve' }, token);
    expect(noKey.status).toBe(400);
    expect((noKey.body as { error_description: string }).error_description).toMatch(/no passkey/);
    expect((await call(app, 'POST', requestUrl(requestId, 'challenge'), { decision: 'maybe' }, token)).status).toBe(
      400,
    );
    expect((await call(app, 'POST', requestUrl(requestId, 'decision'), { decision: 'approve' }, token)).status).toBe(
      400,
    );
  });

  it('keeps the signature counter in step with the assertions', async () => {
    const device = await enrolledUser('counter');
    for (let round = 1; round <= 2; round += 1) {
      const { requestId } = await pendingRequest(app, device.subject);
      const options = await challenge(device, requestId, 'approve');
      expect((await decide(device, requestId, 'approve', device.authenticator.assert(options.challenge))).status).toBe(
        204,
      );
    }
    const rows: { counter: string }[] = await app
      .get(DataSource)
      .query(`SELECT counter FROM webauthn_credentials WHERE credential_id = $1`, [device.authenticator.credentialId]);
    expect(rows).toEqual([{ counter: '2' }]);
  });

  describe('a passkey revoked through the admin API', () => {
    const passkeysUrl = (device: EnrolledDevice) =>
      `/admin/v1/users/${device.subject}/devices/${device.deviceId}/passkeys`;

    it('is listed without key material, then signs no decision; the device stays and must enrol again', async () => {
      const device = await enrolledUser('revoke-passkey');
      const used = await pendingRequest(app, device.subject);
      const first = await challenge(device, used.requestId, 'approve');
      await decide(device, used.requestId, 'approve', device.authenticator.assert(first.challenge));

      expect(await call(app, 'GET', passkeysUrl(device), undefined, TEST_ADMIN_TOKEN)).toMatchObject({
        status: 200,
        body: [
          {
            credential_id: device.authenticator.credentialId,
            created_at: expect.any(String),
            last_used_at: expect.any(String),
            sign_count: 1,
          },
        ],
      });
      const listed = (await call(app, 'GET', passkeysUrl(device), undefined, TEST_ADMIN_TOKEN)).body as object[];
      expect(Object.keys(listed[0]!).sort()).toEqual(['created_at', 'credential_id', 'last_used_at', 'sign_count']);

      // a challenge asked before the revocation is answered with a passkey that is no longer there
      const { requestId, streamId } = await pendingRequest(app, device.subject);
      const options = await challenge(device, requestId, 'approve');
      const revoked = await call(
        app,
        'DELETE',
        `${passkeysUrl(device)}/${device.authenticator.credentialId}`,
        undefined,
        TEST_ADMIN_TOKEN,
      );
      expect(revoked.status).toBe(204);

      expect((await decide(device, requestId, 'approve', device.authenticator.assert(options.challenge))).status).toBe(
        401,
      );
      const again = await askChallenge(device, requestId, 'approve');
      expect(again).toMatchObject({ status: 400, body: { error_description: expect.stringMatching(/no passkey/) } });
      expect(await decisionsOn(streamId)).toEqual([]);
      // the device stays: it still lists its requests, and the admin API still has it
      expect((await call(app, 'GET', '/authenticator/api/requests', undefined, device.deviceToken)).status).toBe(200);
      const devices = await call(app, 'GET', `/admin/v1/users/${device.subject}/devices`, undefined, TEST_ADMIN_TOKEN);
      expect(devices.body).toEqual([expect.objectContaining({ device_id: device.deviceId })]);
      expect((await call(app, 'GET', passkeysUrl(device), undefined, TEST_ADMIN_TOKEN)).body).toEqual([]);

      const { events } = await app.get(PostgresEventStore).readStream(userStreamId(device.subject));
      expect(events.at(-1)).toEqual(
        expect.objectContaining({
          type: 'PasskeyRevoked',
          data: {
            subject: device.subject,
            deviceId: device.deviceId,
            credentialId: device.authenticator.credentialId,
            revokedAt: expect.any(String),
          },
          metadata: expect.objectContaining({ actor: 'admin' }),
        }),
      );
    });

    it("answers 404 for a passkey or device that is not the user's", async () => {
      const device = await enrolledUser('revoke-passkey-404');
      const other = await enrolledUser('revoke-passkey-other');
      const credential = device.authenticator.credentialId;

      for (const url of [
        `/admin/v1/users/${device.subject}/devices/${device.deviceId}/passkeys/${other.authenticator.credentialId}`,
        `/admin/v1/users/${device.subject}/devices/${other.deviceId}/passkeys/${other.authenticator.credentialId}`,
        `/admin/v1/users/${other.subject}/devices/${device.deviceId}/passkeys/${credential}`,
      ]) {
        expect((await call(app, 'DELETE', url, undefined, TEST_ADMIN_TOKEN)).status).toBe(404);
      }
      expect(
        (
          await call(
            app,
            'GET',
            `/admin/v1/users/${other.subject}/devices/${device.deviceId}/passkeys`,
            undefined,
            TEST_ADMIN_TOKEN,
          )
        ).status,
      ).toBe(404);
      expect((await call(app, 'GET', passkeysUrl(device), undefined, TEST_ADMIN_TOKEN)).body).toHaveLength(1);
    });
  });
});
