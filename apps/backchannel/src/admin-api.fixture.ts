import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { OAuthExceptionFilter } from '@backchannel/oauth';
import { TEST_ADMIN_TOKEN, featureTestingModule, testConfig } from '@backchannel/testing';
import { BackchannelModule } from './backchannel.module.js';

/** The backchannel service over HTTP (Fastify inject) on the real PostgreSQL, rendering errors as the services do. */
export async function startBackchannel(name: string): Promise<NestFastifyApplication> {
  const module = await featureTestingModule(BackchannelModule, testConfig(), name).compile();
  const app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  app.useGlobalFilters(new OAuthExceptionFilter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** A JSON call to the admin API, with the admin token unless `token` says otherwise (null: none). */
export async function adminCall(
  app: NestFastifyApplication,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  token: string | null = TEST_ADMIN_TOKEN,
) {
  const response = await app.inject({
    method,
    url,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(body !== undefined && { payload: body as object }),
  });
  return { status: response.statusCode, body: response.body ? response.json() : undefined };
}
