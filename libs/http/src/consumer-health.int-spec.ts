import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topics } from '@backchannel/events';
import { ConsumerHandler, EventBatch, eventConsumer } from '@backchannel/messaging';
import { freePort, PrivateKafkaBroker, testConfig } from '@backchannel/testing';
import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startHttpService } from './run-service.js';

const SESSION_TIMEOUT_MS = 6_000;
/** Time for the last fetch in flight to fail and the probe to be asked. */
const MARGIN_MS = 3_000;

const idleConsumer = eventConsumer(`consumer-health-it-${randomUUID()}`, Topics.authRequests, ['UserNotified']);

@Controller()
class IdleController {
  @ConsumerHandler(idleConsumer)
  async handle(@Payload() _batch: EventBatch): Promise<void> {}
}

@Module({ controllers: [IdleController] })
class IdleModule {}

interface Probe {
  status: number;
  body: { status: string; reason?: string };
}

/** A service with a Kafka consumer as runHttpService starts it, on `brokers`. */
async function startConsumingService(brokers: string[]) {
  const port = await freePort();
  const started = await startHttpService(
    { service: 'ping-delivery', features: [IdleModule], kafka: { consumer: idleConsumer } },
    testConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: brokers.join(','),
      RELAY_ENABLED: 'false',
      KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      KAFKA_REBALANCE_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    }),
  );
  const probe = async (path: 'consumer' | 'ready'): Promise<Probe> => {
    const response = await fetch(`http://127.0.0.1:${port}/health/${path}`);
    return { status: response.status, body: (await response.json()) as Probe['body'] };
  };
  return { ...started, probe };
}

/** Asks `probe` until it answers `status`; how long that took. */
async function untilProbe(probe: () => Promise<Probe>, status: number, timeoutMs: number): Promise<number> {
  const since = Date.now();
  while ((await probe()).status !== status) {
    if (Date.now() - since > timeoutMs) throw new Error(`no ${status} within ${timeoutMs} ms`);
    await sleep(100);
  }
  return Date.now() - since;
}

describe('/health/consumer of a service with a Kafka consumer (on a broker of its own)', () => {
  let broker: PrivateKafkaBroker;
  const apps: NestFastifyApplication[] = [];

  beforeAll(async () => {
    broker = await PrivateKafkaBroker.start();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await broker?.destroy();
  }, 180_000);

  it('is 503 until the consumer joins, and while the broker is away; readiness stays 200 (HTTP needs no Kafka)', async () => {
    const service = await startConsumingService(broker.brokers);
    apps.push(service.app);
    const consumer = () => service.probe('consumer');

    expect(await consumer()).toEqual({
      status: 503,
      body: { status: 'unavailable', reason: 'the consumer has not joined its group' },
    });
    expect((await service.probe('ready')).status).toBe(200);

    await service.consuming;
    await untilProbe(consumer, 200, 60_000);
    expect((await consumer()).body).toEqual({ status: 'ok' });

    await broker.stop();
    const noticedAfterMs = await untilProbe(consumer, 503, SESSION_TIMEOUT_MS + MARGIN_MS);
    expect(noticedAfterMs).toBeLessThanOrEqual(SESSION_TIMEOUT_MS + MARGIN_MS);
    expect((await service.probe('ready')).status).toBe(200);

    await broker.resume();
    await untilProbe(consumer, 200, 90_000);
  }, 240_000);

  it('stays 503 for a consumer whose broker never answers', async () => {
    const service = await startConsumingService([`127.0.0.1:${await freePort()}`]);
    apps.push(service.app);
    const answers: number[] = [];
    let gaveUp = false;
    const consuming = service.consuming.catch(() => (gaveUp = true));
    const since = Date.now();
    // kafkajs retries the connection, then gives up (the process would then end)
    while (!gaveUp || Date.now() - since < SESSION_TIMEOUT_MS + MARGIN_MS) {
      answers.push((await service.probe('consumer')).status);
      await Promise.race([consuming, sleep(250)]);
    }
    expect(new Set(answers)).toEqual(new Set([503]));
    expect((await service.probe('ready')).status).toBe(200);
  }, 120_000);
});
