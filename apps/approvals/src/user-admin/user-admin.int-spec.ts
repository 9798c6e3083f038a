import { randomBytes, randomInt } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { DeviceRegistry, TooManyDevicesError } from '@backchannel/directory';
import { PostgresEventStore } from '@backchannel/event-store';
import { userStreamId } from '@backchannel/events';
import { TEST_ADMIN_TOKEN, recordRequest } from '@backchannel/testing';
import { call, enrolDevice, startApprovals, streamEvents } from '../authenticator/authenticator.fixture.js';

/** The user admin API over HTTP on the real PostgreSQL: the user's claims, read and changed. */
describe('user admin API on PostgreSQL', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startApprovals();
  });

  afterAll(async () => {
    await app?.close();
  });

  const admin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    call(app, method, url, body, TEST_ADMIN_TOKEN);

  /** A user whose identifiers are unique to this run. */
  function newUser() {
    const id = randomBytes(6).toString('hex');
    return { sub: `admin-${id}`, email: `${id}@example.com`, phone_number: `+44${randomInt(1e9, 1e10)}` };
  }

  describe('reading and changing a user', () => {
    it('answers the user with every claim by its OIDC name, and changes them by merge patch', async () => {
      const input = newUser();
      const created = await admin('POST', '/admin/v1/users', {
        ...input,
        given_name: 'Ada',
        email_verified: true,
        address: { locality: 'London', country: 'GB' },
      });
      expect(created).toMatchObject({ status: 201, body: { sub: input.sub, given_name: 'Ada', family_name: null } });

      const read = await admin('GET', `/admin/v1/users/${input.sub}`);
      expect(read).toMatchObject({ status: 200, body: created.body });
      const { updated_at: createdAt } = read.body as { updated_at: string };

      const patched = await admin('PATCH', `/admin/v1/users/${input.sub}`, {
        given_name: null,
        family_name: 'Lovelace',
        birthdate: '1815-12-10',
        address: { locality: null, region: 'Greater London' },
      });
      expect(patched).toMatchObject({
        status: 200,
        body: {
          sub: input.sub,
          email: input.email,
          email_verified: true,
          given_name: null,
          family_name: 'Lovelace',
          birthdate: '1815-12-10',
          address: { region: 'Greater London', country: 'GB' },
        },
      });
      const { updated_at: patchedAt } = patched.body as { updated_at: string };
      expect(Date.parse(patchedAt)).toBeGreaterThanOrEqual(Date.parse(createdAt));
      expect(await admin('GET', `/admin/v1/users/${input.sub}`)).toMatchObject({ status: 200, body: patched.body });
    });

    it('records the creation of a user with the actor and the names of the claims given, never their values', async () => {
      const input = newUser();
      expect(
        (await admin('POST', '/admin/v1/users', { ...input, given_name: 'Ada', email_verified: false })).status,
      ).toBe(201);

      const events = await streamEvents(app, userStreamId(input.sub));
      expect(events.map((event) => [event.type, event.data, event.metadata.actor])).toEqual([
        [
          'UserCreated',
          {
            subject: input.sub,
            claims: ['email', 'email_verified', 'given_name', 'phone_number'],
            createdAt: expect.any(String),
          },
          'admin',
        ],
      ]);
      expect(JSON.stringify(events)).not.toContain('Ada');
      expect(JSON.stringify(events)).not.toContain(input.email);
    });

    it('records which claims a change changed, and that a user code was set, with the actor: never their values', async () => {
      const input = newUser();
      await admin('POST', '/admin/v1/users', { ...input, given_name: 'Ada', address: { country: 'GB' } });

      await admin('PATCH', `/admin/v1/users/${input.sub}`, { given_name: null, family_name: 'Lovelace', name: null });
      await admin('PATCH', `/admin/v1/users/${input.sub}`, { family_name: 'Lovelace' }); // changes nothing
      await admin('PATCH', `/admin/v1/users/${input.sub}`, { address: { locality: 'London' } });
      expect((await admin('POST', `/admin/v1/users/${input.sub}/user-code`, { user_code: 'secret-4711' })).status).toBe(
        204,
      );

      const events = (await streamEvents(app, userStreamId(input.sub))).slice(1); // after UserCreated
      expect(events.map((event) => [event.type, event.data, event.metadata.actor])).toEqual([
        [
          'UserUpdated',
          { subject: input.sub, claims: ['family_name', 'given_name'], updatedAt: expect.any(String) },
          'admin',
        ],
        ['UserUpdated', { subject: input.sub, claims: ['address'], updatedAt: expect.any(String) }, 'admin'],
        ['UserCodeSet', { subject: input.sub, setAt: expect.any(String) }, 'admin'],
      ]);
      expect(JSON.stringify(events)).not.toMatch(/Lovelace|London|secret-4711/);
    });

    it('answers 404 for an unknown user', async () => {
      const unknown = `admin-nobody-${randomBytes(6).toString('hex')}`;
      expect((await admin('GET', `/admin/v1/users/${unknown}`)).status).toBe(404);
      expect((await admin('PATCH', `/admin/v1/users/${unknown}`, { name: 'N' })).status).toBe(404);
    });

    it('answers 400 for an invalid change, or a change of sub, and changes nothing', async () => {
      const input = newUser();
      await admin('POST', '/admin/v1/users', { ...input, website: 'https://a.example' });

      for (const [patch, description] of [
        [{ website: 'http://a.example', name: 'B' }, 'website must be an absolute https URL'],
        [{ sub: 'someone-else' }, 'sub cannot be changed'],
        [[{ name: 'B' }], 'the update must be a JSON object'],
      ] as const) {
        expect(await admin('PATCH', `/admin/v1/users/${input.sub}`, patch)).toMatchObject({
          status: 400,
          body: { error: 'invalid_request', error_description: description },
        });
      }
      expect((await admin('GET', `/admin/v1/users/${input.sub}`)).body).toMatchObject({
        website: 'https://a.example',
        name: null,
      });
    });

    it('answers 409 for an e-mail address or phone number another user has', async () => {
      const taken = newUser();
      await admin('POST', '/admin/v1/users', taken);
      const input = newUser();
      await admin('POST', '/admin/v1/users', input);

      for (const field of ['email', 'phone_number'] as const) {
        expect(await admin('PATCH', `/admin/v1/users/${input.sub}`, { [field]: taken[field] })).toMatchObject({
          status: 409,
          body: { error_description: `a user with this ${field} already exists` },
        });
      }
    });
  });

  describe('registering and enrolling devices', () => {
    it('records each device an admin registers, with its channel and the actor: never its token or webhook secret', async () => {
      const input = newUser();
      await admin('POST', '/admin/v1/users', input);

      const phone = await admin('POST', `/admin/v1/users/${input.sub}/devices`, { name: 'Phone' });
      const bot = await admin('POST', `/admin/v1/users/${input.sub}/devices`, {
        name: 'Bot',
        channel: 'webhook',
        webhook_url: 'https://hooks.example.com/ciba',
      });
      expect([phone.status, bot.status]).toEqual([201, 201]);
      const [first, second] = [phone.body, bot.body] as Record<string, string>[];

      const events = (await streamEvents(app, userStreamId(input.sub))).slice(1); // after UserCreated
      const registered = (device: Record<string, string>, deviceName: string) => ({
        subject: input.sub,
        deviceId: device.device_id,
        deviceName,
        channel: device.channel,
        registeredAt: expect.any(String),
      });
      expect(events.map((event) => [event.type, event.data, event.metadata.actor])).toEqual([
        ['DeviceRegistered', registered(first!, 'Phone'), 'admin'],
        ['DeviceRegistered', { ...registered(second!, 'Bot'), channel: 'webhook' }, 'admin'],
      ]);
      const recorded = JSON.stringify(events);
      for (const secret of [first!.device_token, second!.device_token, second!.webhook_secret]) {
        expect(recorded).not.toContain(secret);
      }
    });

    it('records a device that enrols itself, with the device as the actor: never its token', async () => {
      const input = newUser();
      await admin('POST', '/admin/v1/users', input);

      const device = await enrolDevice(app, input.sub);

      const events = await streamEvents(app, userStreamId(input.sub));
      expect(events.map((event) => [event.type, event.metadata.actor])).toEqual([
        ['UserCreated', 'admin'],
        ['EnrolmentIssued', 'admin'],
        ['DeviceRegistered', `device:${device.deviceId}`],
      ]);
      expect(events[2]!.data).toEqual({
        subject: input.sub,
        deviceId: device.deviceId,
        deviceName: 'Authenticator',
        channel: 'device-api',
        registeredAt: expect.any(String),
      });
      expect(JSON.stringify(events)).not.toContain(device.deviceToken);
    });

    it('records an enrolment code issued, with the actor and its expiry: never the code or its link', async () => {
      const input = newUser();
      await admin('POST', '/admin/v1/users', input);

      const enrolment = await admin('POST', `/admin/v1/users/${input.sub}/enrolments`);
      expect(enrolment.status).toBe(201);
      const { enrolment_code, enrolment_url, expires_at } = enrolment.body as Record<string, string>;

      const events = (await streamEvents(app, userStreamId(input.sub))).slice(1); // after UserCreated
      expect(events.map((event) => [event.type, event.data, event.metadata.actor])).toEqual([
        ['EnrolmentIssued', { subject: input.sub, expiresAt: expires_at, issuedAt: expect.any(String) }, 'admin'],
      ]);
      const recorded = JSON.stringify(events);
      expect(recorded).not.toContain(enrolment_code);
      expect(recorded).not.toContain(enrolment_url);
    });
  });

  describe('deleting a user', () => {
    it('revokes their devices, ends their open requests denied, records it, and never gives their sub again', async () => {
      const input = newUser();
      await admin('POST', '/admin/v1/users', input);
      const device = await admin('POST', `/admin/v1/users/${input.sub}/devices`, { name: 'Phone' });
      const { device_token } = device.body as { device_token: string };
      const open = await recordRequest(app, input.sub);

      expect((await admin('DELETE', `/admin/v1/users/${input.sub}`)).status).toBe(204);

      expect((await admin('GET', `/admin/v1/users/${input.sub}`)).status).toBe(404);
      expect((await call(app, 'GET', '/device/v1/requests', undefined, device_token)).status).toBe(401);
      expect(await streamEvents(app, open.streamId)).toEqual([
        expect.objectContaining({ type: 'AuthRequested' }),
        expect.objectContaining({
          type: 'ConsentDenied',
          data: expect.objectContaining({ reason: 'user_deleted', deviceId: 'none' }),
          metadata: expect.objectContaining({ actor: 'admin' }),
        }),
      ]);
      const { events } = await app.get(PostgresEventStore).readStream(userStreamId(input.sub));
      expect(events.map((event) => [event.type, event.metadata.actor])).toEqual([
        ['UserCreated', 'admin'],
        ['DeviceRegistered', 'admin'],
        ['DeviceRevoked', 'admin'],
        ['UserDeleted', 'admin'],
      ]);
      expect(await admin('POST', '/admin/v1/users', { sub: input.sub })).toMatchObject({
        status: 409,
        body: { error_description: 'this sub belonged to a deleted user, and a sub is never reassigned' },
      });
      // what identified them is free for someone else
      expect((await admin('POST', '/admin/v1/users', { ...newUser(), email: input.email })).status).toBe(201);
    });

    it('answers 404 for an unknown user', async () => {
      expect((await admin('DELETE', `/admin/v1/users/admin-nobody-${randomBytes(6).toString('hex')}`)).status).toBe(
        404,
      );
    });
  });

  describe('the cap on devices per user (MAX_DEVICES_PER_USER, 10 here)', () => {
    const registerDevice = (subject: string, body: Record<string, unknown> = {}) =>
      admin('POST', `/admin/v1/users/${subject}/devices`, { name: 'Phone', ...body });
    const countDevices = async (subject: string) =>
      ((await app.get(DataSource).query(`SELECT 1 FROM devices WHERE subject = $1`, [subject])) as unknown[]).length;

    it('answers 409 for the 11th device, of any channel, and takes one again once a device is revoked', async () => {
      const user = newUser();
      await admin('POST', '/admin/v1/users', user);
      const registered = [];
      for (let index = 0; index < 10; index++) registered.push(await registerDevice(user.sub));
      expect(registered.map((answer) => answer.status)).toEqual(Array(10).fill(201));

      for (const channel of ['device-api', 'webhook']) {
        const refused = await registerDevice(user.sub, {
          channel,
          ...(channel === 'webhook' && { webhook_url: 'https://hooks.example.com/ciba' }),
        });
        expect(refused).toMatchObject({
          status: 409,
          body: {
            error: 'conflict',
            error_description: 'the user has 10 devices, the most allowed: revoke one before adding another',
          },
        });
      }
      expect(await countDevices(user.sub)).toBe(10);

      const { device_id: revoked } = registered[0]!.body as { device_id: string };
      expect((await admin('DELETE', `/admin/v1/users/${user.sub}/devices/${revoked}`)).status).toBe(204);
      expect((await registerDevice(user.sub)).status).toBe(201);
    });

    it('lets no concurrent registrations pass the cap together', async () => {
      const user = newUser();
      await admin('POST', '/admin/v1/users', user);
      for (let index = 0; index < 9; index++) await registerDevice(user.sub);
      const registry = app.get(DeviceRegistry);
      let added!: () => void;
      let commit!: () => void;
      const firstAdded = new Promise<void>((resolve) => (added = resolve));
      // the 10th device, not committed yet: a registration meanwhile must wait for it, then count it
      const first = app.get(PostgresEventStore).transaction(async (tx) => {
        await registry.registerDeviceIn(tx, user.sub, { name: 'First' }, 'device_token');
        added();
        await new Promise<void>((resolve) => (commit = resolve));
      });
      await firstAdded;
      const second = registry.registerDevice(user.sub, { name: 'Second' }, 'device_token');
      await new Promise((resolve) => setTimeout(resolve, 300));
      commit();
      await first;
      await expect(second).rejects.toBeInstanceOf(TooManyDevicesError);
      expect(await countDevices(user.sub)).toBe(10);
    });
  });
});
