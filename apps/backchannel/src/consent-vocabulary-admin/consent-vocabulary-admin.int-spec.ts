import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ClientRegistry } from '@backchannel/clients';
import { ConsentVocabulary } from '@backchannel/consent-vocabulary';
import { PostgresEventStore } from '@backchannel/event-store';
import { apiScopeStreamId, authorizationDetailTypeStreamId } from '@backchannel/events';
import { adminCall, startBackchannel } from '../admin-api.fixture.js';

/** The consent vocabulary's admin API and ConsentVocabulary.describe, as the backchannel app wires them, on the real PostgreSQL. */
describe('consent vocabulary', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startBackchannel('consent-vocabulary-int-spec');
  });

  afterAll(async () => {
    await app?.close();
  });

  /** A name no other test uses, so tests can share the database. */
  const unique = (prefix: string) => `${prefix}${randomBytes(6).toString('hex')}`;
  const scopeUrl = (name: string) => `/admin/v1/scopes/${encodeURIComponent(name)}`;
  const typeUrl = (name: string) => `/admin/v1/authorization-detail-types/${encodeURIComponent(name)}`;

  const call = (method: 'GET' | 'PUT' | 'DELETE', url: string, body?: unknown, token?: string | null) =>
    adminCall(app, method, url, body, token);

  async function recorded(streamId: string) {
    const { events } = await app.get(PostgresEventStore).readStream(streamId);
    return events.map(({ type, data, metadata }) => ({ type, data, actor: metadata.actor }));
  }

  describe('API scopes', () => {
    it('creates, replaces, shows and lists a scope, each change an event with its actor', async () => {
      const name = unique('payments:read:');
      const created = await call('PUT', scopeUrl(name), { description: 'Read your payments' });
      expect(created).toEqual({
        status: 201,
        body: {
          name,
          description: 'Read your payments',
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
      });

      const replaced = await call('PUT', scopeUrl(name), { description: '  See your past payments ' });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({
        name,
        description: 'See your past payments',
        created_at: created.body.created_at,
      });
      expect(Date.parse(replaced.body.updated_at)).toBeGreaterThan(Date.parse(created.body.updated_at));
      // the same words again: nothing changed, nothing recorded
      expect((await call('PUT', scopeUrl(name), { description: 'See your past payments' })).status).toBe(200);

      expect(await call('GET', scopeUrl(name))).toEqual({ status: 200, body: replaced.body });
      const second = unique('payments:write:');
      await call('PUT', scopeUrl(second), { description: 'Make payments' });
      const listed = (await call('GET', '/admin/v1/scopes')).body as { name: string }[];
      expect(listed.filter((term) => [name, second].includes(term.name))).toEqual([
        replaced.body,
        expect.objectContaining({ name: second, description: 'Make payments' }),
      ]);
      expect(listed.map((term) => term.name)).toEqual(listed.map((term) => term.name).sort());

      expect(await recorded(apiScopeStreamId(name))).toEqual([
        {
          type: 'ApiScopeDefined',
          data: { name, description: 'Read your payments', definedAt: created.body.created_at },
          actor: 'admin',
        },
        {
          type: 'ApiScopeDefined',
          data: { name, description: 'See your past payments', definedAt: replaced.body.updated_at },
          actor: 'admin',
        },
      ]);
    });

    it('removes a scope no client lists, and recorded it', async () => {
      const name = unique('statements:');
      await call('PUT', scopeUrl(name), { description: 'Download your statements' });

      expect(await call('DELETE', scopeUrl(name))).toEqual({ status: 204, body: undefined });
      expect((await call('GET', scopeUrl(name))).status).toBe(404);
      expect((await call('DELETE', scopeUrl(name))).status).toBe(404);
      expect((await call('GET', '/admin/v1/scopes')).body).not.toContainEqual(expect.objectContaining({ name }));
      expect((await recorded(apiScopeStreamId(name))).map(({ type, actor }) => [type, actor])).toEqual([
        ['ApiScopeDefined', 'admin'],
        ['ApiScopeRemoved', 'admin'],
      ]);
    });

    it('refuses to remove a scope registered clients list, saying how many', async () => {
      const name = unique('accounts:');
      await call('PUT', scopeUrl(name), { description: 'See your accounts' });
      const context = { actor: 'admin', correlationId: 'consent-vocabulary-int-spec', now: new Date() };
      for (const client of ['one', 'two']) {
        await app.get(ClientRegistry).register(
          {
            client_name: `Vocabulary client ${client}`,
            backchannel_token_delivery_mode: 'poll',
            scope: `openid ${name}`,
          },
          context,
        );
      }

      expect(await call('DELETE', scopeUrl(name))).toEqual({
        status: 409,
        body: {
          error: 'conflict',
          error_description: 'The API scope is in use: 2 registered clients list it.',
        },
      });
      expect((await call('GET', scopeUrl(name))).body).toMatchObject({ description: 'See your accounts' });
      expect((await recorded(apiScopeStreamId(name))).map(({ type }) => type)).toEqual(['ApiScopeDefined']);
    });

    it.each(['openid', 'profile', 'offline_access'])('refuses words for the standard scope %s', async (name) => {
      expect(await call('PUT', scopeUrl(name), { description: 'Something else' })).toEqual({
        status: 400,
        body: expect.objectContaining({
          error_description: `${name} is a standard scope: the server words it itself.`,
        }),
      });
    });

    it.each([
      ['no description', {}, 'description is required and must be a string.'],
      ['an empty description', { description: ' ' }, 'description must be 1 to 200 characters.'],
      ['a description too long', { description: 'x'.repeat(201) }, 'description must be 1 to 200 characters.'],
      [
        'a bidirectional override',
        { description: 'Pay \u202Eevil' },
        'description must not contain control, bidirectional or invisible formatting characters.',
      ],
    ])('refuses %s', async (_what, body, description) => {
      const name = unique('refused:');
      expect(await call('PUT', scopeUrl(name), body)).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: description },
      });
      expect((await call('GET', scopeUrl(name))).status).toBe(404);
      expect(await recorded(apiScopeStreamId(name))).toEqual([]);
    });

    it('refuses a name that is not a scope token', async () => {
      expect((await call('PUT', scopeUrl('two words'), { description: 'Two words' })).status).toBe(400);
    });
  });

  describe('authorization detail types', () => {
    it('defines, shows, lists and removes a type named by a URI', async () => {
      const name = unique('https://bank.example/types/');
      expect((await call('PUT', typeUrl(name), { description: 'Make a payment' })).status).toBe(201);
      expect((await call('GET', typeUrl(name))).body).toMatchObject({ name, description: 'Make a payment' });
      expect((await call('GET', '/admin/v1/authorization-detail-types')).body).toContainEqual(
        expect.objectContaining({ name }),
      );
      // the two kinds are apart: a scope of the same name is not defined by it
      expect((await call('GET', scopeUrl(name))).status).toBe(404);

      expect((await call('DELETE', typeUrl(name))).status).toBe(204);
      expect((await call('GET', typeUrl(name))).status).toBe(404);
      expect((await recorded(authorizationDetailTypeStreamId(name))).map(({ type, actor }) => [type, actor])).toEqual([
        ['AuthorizationDetailTypeDefined', 'admin'],
        ['AuthorizationDetailTypeRemoved', 'admin'],
      ]);
    });

    it('takes a name of 64 characters however it is encoded in the path, and refuses a longer one', async () => {
      const name = `urn:${'/:'.repeat(24)}${randomBytes(6).toString('hex')}`;
      expect(name).toHaveLength(64);
      expect((await call('PUT', typeUrl(name), { description: 'A long name' })).status).toBe(201);
      expect((await call('GET', typeUrl(name))).body).toMatchObject({ name });
      expect((await call('PUT', typeUrl(`${name}x`), { description: 'Too long' })).status).toBe(400);
    });

    it('refuses to remove a type a registered client lists in authorization_details_types', async () => {
      const name = unique('payment_initiation_');
      await call('PUT', typeUrl(name), { description: 'Pay someone' });
      await app.get(ClientRegistry).register(
        {
          client_name: 'Vocabulary type client',
          backchannel_token_delivery_mode: 'poll',
          authorization_details_types: [name],
        },
        { actor: 'admin', correlationId: 'consent-vocabulary-int-spec', now: new Date() },
      );
      expect(await call('DELETE', typeUrl(name))).toMatchObject({ status: 409 });
      expect((await call('GET', typeUrl(name))).status).toBe(200);
    });

    it('refuses a type with a space', async () => {
      expect((await call('PUT', typeUrl('payment initiation'), { description: 'Pay' })).status).toBe(400);
    });
  });

  it.each([
    ['GET', '/admin/v1/scopes'],
    ['GET', '/admin/v1/scopes/payments'],
    ['PUT', '/admin/v1/scopes/payments'],
    ['DELETE', '/admin/v1/scopes/payments'],
    ['GET', '/admin/v1/authorization-detail-types'],
    ['PUT', '/admin/v1/authorization-detail-types/payment_initiation'],
    ['DELETE', '/admin/v1/authorization-detail-types/payment_initiation'],
  ] as const)('answers %s %s with 401 without the admin token', async (method, url) => {
    expect((await call(method, url, method === 'PUT' ? { description: 'Pay' } : undefined, null)).status).toBe(401);
    expect(
      (await call(method, url, method === 'PUT' ? { description: 'Pay' } : undefined, 'not-the-token')).status,
    ).toBe(401);
  });

  describe('describe', () => {
    it("gives the words of a request's defined API scopes and types, and nothing for the others", async () => {
      const [read, undefinedScope, type, undefinedType] = ['read:', 'nowords:', 'payment_', 'notype_'].map(unique);
      await call('PUT', scopeUrl(read!), { description: 'Read your accounts' });
      await call('PUT', scopeUrl('__proto__'), { description: 'A scope named __proto__' });
      await call('PUT', typeUrl(type!), { description: 'Make a payment' });

      const descriptions = await app.get(ConsentVocabulary).describe({
        scopes: ['openid', read!, undefinedScope!, '__proto__', 'constructor', type!],
        authorizationDetailTypes: [type!, undefinedType!, read!],
      });

      expect({ ...descriptions.scopes }).toEqual({
        [read!]: 'Read your accounts',
        ['__proto__']: 'A scope named __proto__',
      });
      expect(Object.hasOwn(descriptions.scopes, '__proto__')).toBe(true);
      expect(descriptions.scopes['constructor']).toBeUndefined();
      expect({ ...descriptions.authorizationDetailTypes }).toEqual({ [type!]: 'Make a payment' });
    });

    it('gives nothing when a request asks only for standard scopes', async () => {
      expect(
        await app.get(ConsentVocabulary).describe({ scopes: ['openid', 'email'], authorizationDetailTypes: [] }),
      ).toEqual({ scopes: {}, authorizationDetailTypes: {} });
    });
  });
});
