import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { sha256Hex } from '@backchannel/crypto';
import { PostgresEventStore } from '@backchannel/event-store';
import { Topics, topicForStream } from '@backchannel/events';
import { adminCall, startBackchannel } from '../admin-api.fixture.js';

/** The clients' admin API, as the backchannel app wires it, on the real PostgreSQL: what it records. */
describe('client admin API on PostgreSQL', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startBackchannel('client-admin-int-spec');
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('initial access tokens', () => {
    it('records each one issued in a stream of its own, with the actor: never the token or its digest', async () => {
      const [{ last }] = (await app.get(DataSource).query(`SELECT max(global_position)::text AS last FROM events`)) as [
        { last: string },
      ];
      const issued = await adminCall(app, 'POST', '/admin/v1/initial-access-tokens', { expires_in: 600 });
      expect(issued.status).toBe(201);
      const { initial_access_token: token, expires_at } = issued.body as Record<string, string>;

      const streams = (await app.get(DataSource).query(
        `SELECT DISTINCT stream_id FROM events
          WHERE global_position > $1 AND stream_id LIKE 'initial-access-token-%' AND data->>'expiresAt' = $2`,
        [last, expires_at],
      )) as { stream_id: string }[];
      expect(streams).toHaveLength(1);
      const streamId = streams[0]!.stream_id;
      const { events } = await app.get(PostgresEventStore).readStream(streamId);
      expect(events.map((event) => [event.type, event.data, event.metadata.actor])).toEqual([
        [
          'InitialAccessTokenIssued',
          { tokenId: expect.stringMatching(/^iat_/), expiresAt: expires_at, issuedAt: expect.any(String) },
          'admin',
        ],
      ]);
      expect(streamId).toBe(`initial-access-token-${(events[0]!.data as { tokenId: string }).tokenId}`);
      expect(topicForStream(streamId)).toBe(Topics.initialAccessTokens);
      const recorded = JSON.stringify(events);
      expect(recorded).not.toContain(token);
      expect(recorded).not.toContain(sha256Hex(token!));
      expect(recorded).not.toContain(sha256Hex(token!).slice(0, 12));
    });
  });
});
