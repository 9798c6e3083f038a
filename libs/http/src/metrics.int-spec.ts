import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { freePort, testConfig } from '@backchannel/testing';
import { createHttpApplication } from './http-application.factory.js';

@Controller('things')
class ThingsController {
  @Get(':id')
  thing(@Param('id') id: string): { id: string } {
    return { id };
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

/** /metrics of a service as createHttpApplication makes it, over real HTTP. */
describe('service metrics', () => {
  let app: NestFastifyApplication;
  let publicUrl: string;
  let metricsUrl: string;

  beforeAll(async () => {
    const metricsPort = await freePort();
    app = await createHttpApplication(
      ThingsModule,
      testConfig({ METRICS_PORT: String(metricsPort) }),
      'metrics-int-spec',
    );
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    publicUrl = `http://127.0.0.1:${port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('counts requests by route template and status, and shows the process (event-loop lag, memory)', async () => {
    for (const id of ['a', 'b', 'c']) expect((await fetch(`${publicUrl}/things/${id}`)).status).toBe(200);
    expect((await fetch(`${publicUrl}/nowhere/at/all`)).status).toBe(404);
    const scraped = await fetch(metricsUrl);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    const text = await scraped.text();
    expect(text).toMatch(
      /backchannel_http_request_duration_seconds_count\{service="metrics-int-spec",method="GET",route="\/things\/:id",status_code="200"\} 3/,
    );
    expect(text).toMatch(
      /backchannel_http_request_duration_seconds_count\{service="metrics-int-spec",method="GET",route="unmatched",status_code="404"\} 1/,
    );
    // the URL a client sent never becomes a label
    expect(text).not.toContain('/things/a');
    expect(text).toContain('backchannel_nodejs_eventloop_lag_seconds');
    expect(text).toContain('backchannel_process_resident_memory_bytes');
  });

  it('serves metrics only on their own port, not to the public listener', async () => {
    expect((await fetch(`${publicUrl}/metrics`)).status).toBe(404);
    expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
  });
});
