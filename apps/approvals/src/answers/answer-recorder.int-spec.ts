import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AnswerDoor, DeviceRegistry, UserDirectory } from '@backchannel/directory';
import { PostgresEventStore } from '@backchannel/event-store';
import type { AuthRequestEvent } from '@backchannel/events';
import { TEST_ADMIN_TOKEN, recordRequest } from '@backchannel/testing';
import { UserRequests } from '@backchannel/user-requests';
import { call, startApprovals } from '../authenticator/authenticator.fixture.js';
import { AnswerRecorder, type UserAnswer } from './answer-recorder.js';

const DOORS: AnswerDoor[] = ['device_token', 'passkey', 'channel_callback'];

/** The one writer of answers, on the real PostgreSQL: each device answers through its own door only. */
describe('AnswerRecorder', () => {
  let app: NestFastifyApplication;
  let recorder: AnswerRecorder;

  beforeAll(async () => {
    app = await startApprovals();
    recorder = app.get(AnswerRecorder);
  });

  afterAll(async () => {
    await app?.close();
  });

  /** A user with one device that answers through `door`, and its token. */
  async function deviceAnsweringWith(door: AnswerDoor) {
    const subject = `answers-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub: subject });
    const { deviceId, deviceToken } = await app.get(DeviceRegistry).registerDevice(subject, { name: 'Phone' }, door);
    return { device: { deviceId, subject, answerDoor: door }, deviceToken };
  }

  const answers = async (streamId: string) =>
    (await app.get(PostgresEventStore).readStream<AuthRequestEvent>(streamId)).events.filter(
      (event) => event.type === 'ConsentGiven' || event.type === 'ConsentDenied',
    );

  const approve: UserAnswer = { decision: 'approve', evidence: null };

  describe.each(DOORS)('a device whose door is %s', (own) => {
    it.each(DOORS.filter((door) => door !== own))(
      'is refused at the %s door, and nothing is recorded',
      async (door) => {
        const { device } = await deviceAnsweringWith(own);
        const requested = await recordRequest(app, device.subject);

        const result = await recorder.record({
          device,
          door,
          streamId: requested.streamId,
          answer: approve,
          correlationId: 'answers-int-spec',
          now: new Date(),
        });

        expect(result).toEqual({ outcome: 'refused', refusal: { code: 'wrong_door', message: expect.any(String) } });
        expect(await answers(requested.streamId)).toEqual([]);
        expect(await app.get(UserRequests).listOpen(device.subject, new Date())).toHaveLength(1);
      },
    );

    it('answers at its own door: the answer is recorded and the request is no longer open', async () => {
      const { device } = await deviceAnsweringWith(own);
      const requested = await recordRequest(app, device.subject);

      const result = await recorder.record({
        device,
        door: own,
        streamId: requested.streamId,
        answer: { decision: 'deny', reason: 'not_recognized' },
        correlationId: 'answers-int-spec',
        now: new Date(),
      });

      expect(result).toEqual({ outcome: 'recorded' });
      expect(await answers(requested.streamId)).toEqual([
        expect.objectContaining({
          type: 'ConsentDenied',
          data: {
            requestId: requested.data.requestId,
            subject: device.subject,
            deviceId: device.deviceId,
            reason: 'not_recognized',
          },
          metadata: expect.objectContaining({ actor: `device:${device.deviceId}`, correlationId: 'answers-int-spec' }),
        }),
      ]);
      expect(await app.get(UserRequests).listOpen(device.subject, new Date())).toEqual([]);
    });
  });

  it("leaves another user's request unanswered, as if it did not exist", async () => {
    const { device } = await deviceAnsweringWith('device_token');
    const requested = await recordRequest(app, `someone-else-${randomBytes(4).toString('hex')}`);
    const result = await recorder.record({
      device,
      door: 'device_token',
      streamId: requested.streamId,
      answer: approve,
      correlationId: 'answers-int-spec',
      now: new Date(),
    });
    expect(result).toMatchObject({ outcome: 'refused', refusal: { code: 'not_found' } });
    expect(await answers(requested.streamId)).toEqual([]);
  });

  it('records nothing when the work of its transaction fails, and keeps the request open', async () => {
    const { device } = await deviceAnsweringWith('passkey');
    const requested = await recordRequest(app, device.subject);
    const recording = recorder.record({
      device,
      door: 'passkey',
      streamId: requested.streamId,
      answer: approve,
      correlationId: 'answers-int-spec',
      now: new Date(),
      alsoInTransaction: async () => {
        throw new Error('the passkey counter could not be kept');
      },
    });
    await expect(recording).rejects.toThrow('the passkey counter could not be kept');
    expect(await answers(requested.streamId)).toEqual([]);
    expect(await app.get(UserRequests).listOpen(device.subject, new Date())).toHaveLength(1);
  });

  describe('through the device API', () => {
    const decide = (requestId: string, body: unknown, token: string) =>
      call(app, 'POST', `/device/v1/requests/${requestId}/decision`, body, token);

    it.each([
      ['not_me', 'not_recognized'],
      ['deny', 'user_denied'],
    ])('records "%s" as a denial with reason %s; a second answer is 409', async (decision, reason) => {
      const { device, deviceToken } = await deviceAnsweringWith('device_token');
      const requested = await recordRequest(app, device.subject);

      expect((await decide(requested.data.requestId, { decision }, deviceToken)).status).toBe(204);

      expect(await answers(requested.streamId)).toEqual([
        expect.objectContaining({ data: expect.objectContaining({ reason }) }),
      ]);
      expect((await call(app, 'GET', '/device/v1/requests', undefined, deviceToken)).body).toEqual([]);
      expect((await decide(requested.data.requestId, { decision: 'approve' }, deviceToken)).status).toBe(409);
    });

    it('blocks the client after "not_me" in the same transaction; any device of the user lists the block and lifts it', async () => {
      const { device, deviceToken } = await deviceAnsweringWith('device_token');
      const { deviceToken: otherDevice } = await app
        .get(DeviceRegistry)
        .registerDevice(device.subject, { name: 'Tablet' }, 'passkey');
      const denied = await recordRequest(app, device.subject, { clientId: 'client-denied', clientName: 'Denied Ltd' });
      const blocked = await recordRequest(app, device.subject, { clientId: 'client-blocked', clientName: 'Pushy Ltd' });
      const blocks = (token: string) => call(app, 'GET', '/device/v1/blocks', undefined, token);

      await decide(denied.data.requestId, { decision: 'deny' }, deviceToken);
      expect((await decide(blocked.data.requestId, { decision: 'not_me' }, deviceToken)).status).toBe(204);

      const listed = await blocks(otherDevice);
      expect(listed).toMatchObject({ status: 200 });
      const [block, ...others] = listed.body as Record<string, string>[];
      expect(others).toEqual([]);
      expect(block).toEqual({
        client_id: 'client-blocked',
        client_name: 'Pushy Ltd',
        blocked_at: expect.any(String),
        blocked_until: new Date(Date.parse(block!.blocked_at!) + 86_400_000).toISOString(),
      });
      expect((await call(app, 'DELETE', '/device/v1/blocks/client-blocked', undefined, otherDevice)).status).toBe(204);
      expect((await blocks(deviceToken)).body).toEqual([]);
      expect((await call(app, 'DELETE', '/device/v1/blocks/client-blocked', undefined, deviceToken)).status).toBe(404);
      expect((await call(app, 'GET', '/device/v1/blocks', undefined, 'not-a-token')).status).toBe(401);
    });

    it('lets a passkey device list its requests with its token, never answer with it (403)', async () => {
      const { device, deviceToken } = await deviceAnsweringWith('passkey');
      const requested = await recordRequest(app, device.subject);

      const listed = await call(app, 'GET', '/device/v1/requests', undefined, deviceToken);
      expect(listed.body).toEqual([expect.objectContaining({ request_id: requested.data.requestId })]);
      const refused = await decide(requested.data.requestId, { decision: 'approve' }, deviceToken);

      expect(refused).toMatchObject({
        status: 403,
        body: { error: 'forbidden', error_description: 'This device answers with its passkey in the authenticator.' },
      });
      expect(await answers(requested.streamId)).toEqual([]);
    });

    it('answers 404 for an unknown request, 401 without a device token, 400 for a malformed body', async () => {
      const { device, deviceToken } = await deviceAnsweringWith('device_token');
      const requested = await recordRequest(app, device.subject);
      expect((await decide('req_unknown', { decision: 'approve' }, deviceToken)).status).toBe(404);
      expect((await decide(requested.data.requestId, { decision: 'approve' }, 'not-a-token')).status).toBe(401);
      expect((await decide(requested.data.requestId, { decision: 'maybe' }, deviceToken)).status).toBe(400);
      expect(await answers(requested.streamId)).toEqual([]);
    });
  });

  it('ends every open request of a user an administrator disables as denied (user_disabled), once', async () => {
    const { device, deviceToken } = await deviceAnsweringWith('device_token');
    const open = [await recordRequest(app, device.subject), await recordRequest(app, device.subject)];

    const disabled = await call(
      app,
      'POST',
      `/admin/v1/users/${device.subject}/disable`,
      { reason: 'left' },
      TEST_ADMIN_TOKEN,
    );

    expect(disabled).toMatchObject({ status: 200, body: { ended_requests: 2 } });
    for (const requested of open) {
      expect(await answers(requested.streamId)).toEqual([
        expect.objectContaining({
          type: 'ConsentDenied',
          data: expect.objectContaining({ reason: 'user_disabled', deviceId: 'none' }),
          metadata: expect.objectContaining({ actor: 'admin' }),
        }),
      ]);
    }
    expect(await app.get(UserRequests).listOpen(device.subject, new Date())).toEqual([]);
    // their device is refused, and disabling again ends nothing more
    expect((await call(app, 'GET', '/device/v1/requests', undefined, deviceToken)).status).toBe(401);
    expect(await call(app, 'POST', `/admin/v1/users/${device.subject}/disable`, {}, TEST_ADMIN_TOKEN)).toMatchObject({
      status: 200,
      body: { ended_requests: 0 },
    });
    expect((await call(app, 'POST', `/admin/v1/users/${device.subject}/enable`, {}, TEST_ADMIN_TOKEN)).status).toBe(
      204,
    );
    expect((await call(app, 'GET', '/device/v1/requests', undefined, deviceToken)).status).toBe(200);
  });
});
