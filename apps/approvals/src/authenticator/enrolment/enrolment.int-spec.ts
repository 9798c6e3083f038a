import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import { TEST_ADMIN_TOKEN } from '@backchannel/testing';
import {
  call,
  config,
  createEnrolmentCode,
  createUser,
  newAuthenticator,
  startApprovals,
} from '../authenticator.fixture.js';
import { PasskeysRepository } from '../passkeys/passkeys.repository.js';
import { EnrolmentService } from './enrolment.service.js';

/** Enrolment in the built-in authenticator over HTTP, on the real PostgreSQL, with a software passkey. */
describe('authenticator enrolment', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startApprovals();
  });

  afterAll(async () => {
    await app?.close();
  });

  const options = (code: string) => call(app, 'POST', '/authenticator/api/enrolment/options', { code });

  describe('creating a code (admin API)', () => {
    it('answers the code, its link, its expiry and the link as an SVG QR code, never cached', async () => {
      const subject = await createUser(app, 'enrol');
      const before = Date.now();
      const created = await call(app, 'POST', `/admin/v1/users/${subject}/enrolments`, undefined, TEST_ADMIN_TOKEN);

      expect(created.status).toBe(201);
      expect(created.headers['cache-control']).toBe('no-store');
      const body = created.body as {
        enrolment_code: string;
        enrolment_url: string;
        expires_at: string;
        qr_svg: string;
      };
      expect(body.enrolment_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body.enrolment_url).toBe(`${config.issuer}/authenticator/#/enrol/${body.enrolment_code}`);
      const ttlMs = config.webAuthn.enrolmentTtlSeconds * 1000;
      expect(Date.parse(body.expires_at)).toBeGreaterThanOrEqual(before + ttlMs - 1000);
      expect(Date.parse(body.expires_at)).toBeLessThanOrEqual(Date.now() + ttlMs);
      expect(body.qr_svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);
    });

    it('refuses an unknown user (404) and a caller without the admin token (401)', async () => {
      expect(
        (await call(app, 'POST', '/admin/v1/users/nobody-here/enrolments', undefined, TEST_ADMIN_TOKEN)).status,
      ).toBe(404);
      const subject = await createUser(app, 'enrol');
      expect(
        (await call(app, 'POST', `/admin/v1/users/${subject}/enrolments`, undefined, 'not-the-admin')).status,
      ).toBe(401);
    });
  });

  describe('redeeming a code', () => {
    it("registers the passkey, creates a device for the code's user and answers its token once", async () => {
      const subject = await createUser(app, 'enrol');
      const code = await createEnrolmentCode(app, subject);
      const authenticator = newAuthenticator();

      const registrationOptions = await options(code);
      expect(registrationOptions.status).toBe(200);
      expect(registrationOptions.headers['cache-control']).toBe('no-store');
      const creation = registrationOptions.body as PublicKeyCredentialCreationOptionsJSON;
      expect(creation).toMatchObject({
        rp: { id: config.webAuthn.rpId, name: config.webAuthn.rpName },
        user: { name: subject },
        attestation: 'none',
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      });

      const verified = await call(app, 'POST', '/authenticator/api/enrolment/verify', {
        code,
        response: authenticator.register(creation),
        device_name: 'Test phone',
      });
      expect(verified.status).toBe(201);
      const { device_id: deviceId, device_token: deviceToken } = verified.body as {
        device_id: string;
        device_token: string;
      };
      expect(deviceId).toMatch(/^dev_/);

      const [passkey, ...others] = await app.get(PasskeysRepository).ofDevice(deviceId);
      expect(others).toEqual([]);
      expect(passkey).toMatchObject({
        credentialId: authenticator.credentialId,
        deviceId,
        subject,
        counter: 0,
        transports: ['internal'],
      });
      // the new device token is the device's credential for the authenticator's API
      expect(await call(app, 'GET', '/authenticator/api/requests', undefined, deviceToken)).toMatchObject({
        status: 200,
        body: [],
      });
    });

    it('is single use: the code cannot be redeemed again', async () => {
      const subject = await createUser(app, 'enrol');
      const code = await createEnrolmentCode(app, subject);
      const creation = (await options(code)).body as PublicKeyCredentialCreationOptionsJSON;
      const verify = (response: unknown) =>
        call(app, 'POST', '/authenticator/api/enrolment/verify', { code, response });

      const [first, second] = await Promise.all([
        verify(newAuthenticator().register(creation)),
        verify(newAuthenticator().register(creation)),
      ]);
      expect([first.status, second.status].sort()).toEqual([201, 400]);
      expect(await options(code)).toMatchObject({ status: 400 });
      expect(await verify(newAuthenticator().register(creation))).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      });
    });

    it('expires after the configured time', async () => {
      const subject = await createUser(app, 'enrol');
      const code = await createEnrolmentCode(app, subject);
      const enrolments = app.get(EnrolmentService);
      const expiry = new Date(Date.now() + config.webAuthn.enrolmentTtlSeconds * 1000 + 1000);
      // the service's view of a request: its body, id and client address
      const posted = (body: unknown) => ({ body, id: randomUUID(), ip: '127.0.0.1' }) as unknown as FastifyRequest;

      await expect(enrolments.registrationOptions(posted({ code }), expiry)).rejects.toMatchObject({ status: 400 });
      const creation = await enrolments.registrationOptions(posted({ code }), new Date());
      const response = newAuthenticator().register(creation);
      await expect(enrolments.register(posted({ code, response }), expiry)).rejects.toMatchObject({ status: 400 });
      // still open before it expires
      expect(await enrolments.register(posted({ code, response }), new Date())).toMatchObject({
        deviceId: expect.any(String),
      });
    });

    it('refuses a registration over another challenge and keeps the code open for a proper one', async () => {
      const subject = await createUser(app, 'enrol');
      const code = await createEnrolmentCode(app, subject);
      const creation = (await options(code)).body as PublicKeyCredentialCreationOptionsJSON;
      const verify = (response: unknown) =>
        call(app, 'POST', '/authenticator/api/enrolment/verify', { code, response });

      const forged = await verify(newAuthenticator().register({ ...creation, challenge: 'b3RoZXItY2hhbGxlbmdl' }));
      expect(forged.status).toBe(400);
      // our words only: the library's message names the expected challenge
      expect((forged.body as { error_description: string }).error_description).toBe(
        'The passkey registration could not be verified.',
      );
      expect((await verify(newAuthenticator().register(creation))).status).toBe(201);
    });

    it('refuses a device past MAX_DEVICES_PER_USER (409), creating nothing and keeping the code open', async () => {
      const subject = await createUser(app, 'enrol');
      for (let index = 0; index < 10; index++) {
        await call(app, 'POST', `/admin/v1/users/${subject}/devices`, { name: `Phone ${index}` }, TEST_ADMIN_TOKEN);
      }
      const code = await createEnrolmentCode(app, subject);
      const creation = (await options(code)).body as PublicKeyCredentialCreationOptionsJSON;
      const response = newAuthenticator().register(creation);

      const refused = await call(app, 'POST', '/authenticator/api/enrolment/verify', { code, response });

      expect(refused).toMatchObject({
        status: 409,
        body: {
          error: 'conflict',
          error_description:
            'Not enrolled: the user has 10 devices, the most allowed: revoke one before adding another.',
        },
      });
      const devices: unknown[] = await app.get(DataSource).query(`SELECT 1 FROM devices WHERE subject = $1`, [subject]);
      expect(devices).toHaveLength(10);
      expect((await options(code)).status).toBe(200);
    });

    it('refuses a passkey registered already, creating nothing and keeping the code open', async () => {
      const subject = await createUser(app, 'enrol');
      const authenticator = newAuthenticator();
      const first = await createEnrolmentCode(app, subject);
      const second = await createEnrolmentCode(app, subject);
      const register = async (code: string) =>
        call(app, 'POST', '/authenticator/api/enrolment/verify', {
          code,
          response: authenticator.register((await options(code)).body as PublicKeyCredentialCreationOptionsJSON),
        });

      expect((await register(first)).status).toBe(201);
      const again = await register(second);

      expect(again).toMatchObject({ status: 400, body: { error_description: 'This passkey is registered already.' } });
      const devices: unknown[] = await app
        .get(DataSource)
        .query(`SELECT device_id FROM devices WHERE subject = $1`, [subject]);
      expect(devices).toHaveLength(1);
      // the code was not used up: the refusal was for the passkey
      expect((await options(second)).status).toBe(200);
    });

    it('refuses a registration before any options were asked for, and malformed bodies', async () => {
      const subject = await createUser(app, 'enrol');
      const code = await createEnrolmentCode(app, subject);
      const creation = {
        challenge: 'bm90LWFza2Vk',
      } as PublicKeyCredentialCreationOptionsJSON;
      const response = newAuthenticator().register(creation);

      expect(await call(app, 'POST', '/authenticator/api/enrolment/verify', { code, response })).toMatchObject({
        status: 400,
        body: { error_description: 'Ask for the registration options first.' },
      });
      expect((await call(app, 'POST', '/authenticator/api/enrolment/options', { code: 42 })).status).toBe(400);
      expect((await call(app, 'POST', '/authenticator/api/enrolment/verify', { code, response: 'x' })).status).toBe(
        400,
      );
      expect((await options('an-unknown-code')).status).toBe(400);
    });
  });
});
