import { randomInt, randomUUID } from 'node:crypto';
import { ConfigModule } from '@backchannel/config';
import { sha256Hex } from '@backchannel/crypto';
import { testConfig } from '@backchannel/testing';
import { EventStoreModule, PostgresEventStore } from '@backchannel/event-store';
import { userStreamId } from '@backchannel/events';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { DeviceRegistry } from './device-registry.service.js';
import { DirectoryConflictError, DirectoryValidationError, UnknownUserError } from './directory-errors.js';
import { DirectoryModule } from './directory.module.js';
import { UserCodes } from './user-codes.service.js';
import { UserDirectory } from './user-directory.service.js';

describe('UserDirectory and DeviceRegistry on PostgreSQL', () => {
  let moduleRef: TestingModule;
  let users: UserDirectory;
  let devices: DeviceRegistry;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        EventStoreModule.forRoot({ databaseUrl: process.env.DATABASE_URL!, runMigrations: false, poolSize: 2 }),
        // the device registry's cap on devices per user is configuration
        ConfigModule.forRoot(testConfig()),
        DirectoryModule,
      ],
    }).compile();
    users = moduleRef.get(UserDirectory);
    devices = moduleRef.get(DeviceRegistry);
  });

  afterAll(() => moduleRef.close());

  /** A user whose every identifier is unique to this test run. */
  function newUser() {
    const id = randomUUID().replaceAll('-', '');
    return {
      sub: `sub-${id}`,
      username: `user-${id}`.slice(0, 64),
      email: `Person.${id}@Example.com`,
      phone_number: `+${randomInt(1e9, 1e10)}${randomInt(1e4, 1e5)}`,
      name: 'Alice Smith',
    };
  }

  describe('users', () => {
    it('creates a user and finds it by subject', async () => {
      const input = newUser();

      const created = await users.createUser(input);

      expect(created).toEqual({
        subject: input.sub,
        username: input.username,
        email: input.email.toLowerCase(),
        phoneNumber: input.phone_number,
        name: 'Alice Smith',
        claims: {},
        updatedAt: expect.any(String),
      });
      await expect(users.findBySubject(input.sub)).resolves.toEqual(created);
      await expect(users.findBySubject(`${input.sub}x`)).resolves.toBeNull();
    });

    it('finds a user by each kind of login_hint, the e-mail address in any letter case', async () => {
      const input = newUser();
      const created = await users.createUser(input);

      for (const hint of [input.sub, input.username, input.email, input.email.toUpperCase(), input.phone_number]) {
        await expect(users.findByLoginHint(hint)).resolves.toEqual(created);
      }
      await expect(users.findByLoginHint(input.username.toUpperCase())).resolves.toBeNull();
      await expect(users.findByLoginHint(`nobody-${randomUUID()}`)).resolves.toBeNull();
    });

    it('names nobody when a hint matches two users in different kinds', async () => {
      const phoneOwner = await users.createUser(newUser());
      const hint = phoneOwner.phoneNumber!;
      await expect(users.findByLoginHint(hint)).resolves.toEqual(phoneOwner);

      await users.createUser({ ...newUser(), username: hint });

      await expect(users.findByLoginHint(hint)).resolves.toBeNull();
    });

    it('tells a username from an e-mail address by letter case only when that leaves one user', async () => {
      const emailOwner = await users.createUser(newUser());
      await users.createUser({ ...newUser(), username: emailOwner.email });

      await expect(users.findByLoginHint(emailOwner.email!)).resolves.toBeNull();
      // Usernames match exactly, e-mail addresses in any case: the upper-cased address is only hers.
      await expect(users.findByLoginHint(emailOwner.email!.toUpperCase())).resolves.toEqual(emailOwner);
    });

    it.each(['sub', 'username', 'email', 'phone_number'] as const)(
      'refuses a second user with the same %s, naming the field',
      async (field) => {
        const first = newUser();
        await users.createUser(first);
        const second = { ...newUser(), [field]: field === 'email' ? first.email.toUpperCase() : first[field] };

        const attempt = users.createUser(second);

        await expect(attempt).rejects.toBeInstanceOf(DirectoryConflictError);
        await expect(attempt).rejects.toMatchObject({ field, message: `a user with this ${field} already exists` });
      },
    );

    it('allows several users without username, e-mail address or phone number', async () => {
      await users.createUser({ sub: newUser().sub });
      await expect(users.createUser({ sub: newUser().sub })).resolves.toMatchObject({ username: null, email: null });
    });

    it('rejects invalid input before touching the database', async () => {
      await expect(users.createUser({ sub: 'has space' })).rejects.toBeInstanceOf(DirectoryValidationError);
    });
  });

  describe('devices', () => {
    it('registers a device and authenticates it by its token', async () => {
      const user = await users.createUser(newUser());

      const { deviceId, deviceToken } = await devices.registerDevice(user.subject, { name: 'Pixel 9' }, 'device_token');

      expect(deviceId).toMatch(/^dev_[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(deviceToken, 'base64url')).toHaveLength(32);
      const device = { deviceId, subject: user.subject, answerDoor: 'device_token' };
      await expect(devices.authenticate(deviceToken)).resolves.toEqual(device);
      await expect(devices.find(deviceId)).resolves.toEqual(device);
    });

    it('keeps the answer door the device was registered with', async () => {
      const user = await users.createUser(newUser());
      const { deviceId, deviceToken } = await devices.registerDevice(user.subject, { name: 'Phone' }, 'passkey');
      await expect(devices.authenticate(deviceToken)).resolves.toMatchObject({ deviceId, answerDoor: 'passkey' });
      await expect(devices.find('dev_nobody')).resolves.toBeNull();
    });

    it('stores the token only as its SHA-256 digest', async () => {
      const user = await users.createUser(newUser());
      const { deviceId, deviceToken } = await devices.registerDevice(user.subject, { name: 'Pixel 9' }, 'device_token');

      const [row] = await moduleRef
        .get(DataSource)
        .query<{ token_sha256: string; name: string }[]>(
          `SELECT token_sha256, name FROM devices WHERE device_id = $1`,
          [deviceId],
        );
      expect(row).toEqual({ token_sha256: sha256Hex(deviceToken), name: 'Pixel 9' });
    });

    it('answers null for a wrong token', async () => {
      const user = await users.createUser(newUser());
      const { deviceToken } = await devices.registerDevice(user.subject, { name: 'Pixel 9' }, 'device_token');

      await expect(devices.authenticate(`${deviceToken}x`)).resolves.toBeNull();
      await expect(devices.authenticate(sha256Hex(deviceToken))).resolves.toBeNull();
      await expect(devices.authenticate('')).resolves.toBeNull();
    });

    it('knows whether a user has a device to be asked on', async () => {
      const user = await users.createUser(newUser());
      await expect(devices.hasDevice(user.subject)).resolves.toBe(false);

      await devices.registerDevice(user.subject, { name: 'Pixel 9' }, 'device_token');

      await expect(devices.hasDevice(user.subject)).resolves.toBe(true);
    });

    it('refuses a device for an unknown user', async () => {
      await expect(
        devices.registerDevice(`nobody-${randomUUID()}`, { name: 'Pixel 9' }, 'device_token'),
      ).rejects.toBeInstanceOf(UnknownUserError);
    });

    it('validates the device name', async () => {
      const user = await users.createUser(newUser());

      await expect(devices.registerDevice(user.subject, { name: '' }, 'device_token')).rejects.toBeInstanceOf(
        DirectoryValidationError,
      );
    });
  });

  describe('device revocation', () => {
    const context = () => ({ actor: 'admin:helpdesk', correlationId: randomUUID(), now: new Date() });

    it('revokes one device at once, keeps the others, and records it with the actor', async () => {
      const user = await users.createUser(newUser());
      const lost = await devices.registerDevice(user.subject, { name: 'Lost phone' }, 'device_token');
      const kept = await devices.registerDevice(user.subject, { name: 'Tablet' }, 'device_token');

      expect(await devices.revoke(user.subject, { deviceId: lost.deviceId }, 'reported lost', context())).toBe(1);
      await expect(devices.authenticate(lost.deviceToken)).resolves.toBeNull();
      await expect(devices.authenticate(kept.deviceToken)).resolves.toMatchObject({ deviceId: kept.deviceId });
      expect((await devices.list(user.subject)).map((device) => device.name)).toEqual(['Tablet']);
      // another user's device id, or one already gone, revokes nothing
      expect(await devices.revoke(user.subject, { deviceId: lost.deviceId }, null, context())).toBe(0);
      const other = await users.createUser(newUser());
      expect(await devices.revoke(other.subject, { deviceId: kept.deviceId }, null, context())).toBe(0);

      const { events } = await moduleRef.get(PostgresEventStore).readStream(userStreamId(user.subject));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'DeviceRevoked',
        data: { subject: user.subject, deviceId: lost.deviceId, deviceName: 'Lost phone', reason: 'reported lost' },
        metadata: { actor: 'admin:helpdesk' },
      });
    });

    it("revokes all of a user's devices in one transaction", async () => {
      const user = await users.createUser(newUser());
      const registered = await Promise.all(
        ['Phone', 'Laptop', 'Watch'].map((name) => devices.registerDevice(user.subject, { name }, 'device_token')),
      );

      expect(await devices.revoke(user.subject, 'all', 'account compromised', context())).toBe(3);
      for (const device of registered) await expect(devices.authenticate(device.deviceToken)).resolves.toBeNull();
      await expect(devices.hasDevice(user.subject)).resolves.toBe(false);
      const { events } = await moduleRef.get(PostgresEventStore).readStream(userStreamId(user.subject));
      expect(events.map((event) => event.type)).toEqual(['DeviceRevoked', 'DeviceRevoked', 'DeviceRevoked']);
    });
  });

  describe('disabling a user', () => {
    const context = () => ({ actor: 'admin:helpdesk', correlationId: randomUUID(), now: new Date() });

    it('refuses their devices and leaves them none to be asked on, until enabled again; recorded with the actor', async () => {
      const user = await users.createUser(newUser());
      const device = await devices.registerDevice(user.subject, { name: 'Phone' }, 'device_token');

      expect(await users.setDisabled(user.subject, true, 'left the company', context())).toBe(true);
      expect(await users.setDisabled(user.subject, true, null, context())).toBe(false);
      await expect(devices.authenticate(device.deviceToken)).resolves.toBeNull();
      await expect(devices.find(device.deviceId)).resolves.toBeNull();
      await expect(devices.hasDevice(user.subject)).resolves.toBe(false);
      await expect(users.isEnabled(user.subject)).resolves.toBe(false);
      await expect(users.findBySubject(user.subject)).resolves.toMatchObject({ disabledAt: expect.any(String) });

      expect(await users.setDisabled(user.subject, false, null, context())).toBe(true);
      await expect(devices.authenticate(device.deviceToken)).resolves.toMatchObject({ deviceId: device.deviceId });
      await expect(users.isEnabled(user.subject)).resolves.toBe(true);
      await expect(users.isEnabled(`${user.subject}-nobody`)).resolves.toBe(false);

      const { events } = await moduleRef.get(PostgresEventStore).readStream(userStreamId(user.subject));
      expect(events.map((event) => [event.type, event.metadata.actor])).toEqual([
        ['UserDisabled', 'admin:helpdesk'],
        ['UserEnabled', 'admin:helpdesk'],
      ]);
      expect(events[0]!.data).toMatchObject({ reason: 'left the company' });
    });
  });

  describe('deleting a user', () => {
    const context = () => ({ actor: 'admin:helpdesk', correlationId: randomUUID(), now: new Date() });

    it('revokes their devices, removes them with their user code, records it with the actor, and never gives their sub again', async () => {
      const user = await users.createUser(newUser());
      const device = await devices.registerDevice(user.subject, { name: 'Phone' }, 'device_token');
      await moduleRef.get(UserCodes).set(user.subject, 'a-user-code', context());

      expect(await users.deleteUser(user.subject, context())).toBe(true);
      expect(await users.deleteUser(user.subject, context())).toBe(false);

      await expect(users.findBySubject(user.subject)).resolves.toBeNull();
      await expect(users.isEnabled(user.subject)).resolves.toBe(false);
      await expect(devices.authenticate(device.deviceToken)).resolves.toBeNull();
      const codes: unknown[] = await moduleRef
        .get(DataSource)
        .query(`SELECT 1 FROM user_codes WHERE subject = $1`, [user.subject]);
      expect(codes).toEqual([]);
      const { events } = await moduleRef.get(PostgresEventStore).readStream(userStreamId(user.subject));
      expect(events.map((event) => [event.type, event.metadata.actor])).toEqual([
        ['UserCodeSet', 'admin:helpdesk'],
        ['DeviceRevoked', 'admin:helpdesk'],
        ['UserDeleted', 'admin:helpdesk'],
      ]);

      const again = users.createUser({ sub: user.subject });
      await expect(again).rejects.toBeInstanceOf(DirectoryConflictError);
      await expect(again).rejects.toMatchObject({ field: 'sub' });
      // their e-mail address, username and phone number are free for someone else
      await expect(
        users.createUser({ ...newUser(), username: user.username, email: user.email, phone_number: user.phoneNumber }),
      ).resolves.toMatchObject({ email: user.email });
    });
  });
});
