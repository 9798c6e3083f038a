import { Controller, Get, HttpCode, Inject, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import { ConsumerHealth, type ConsumerHealthStatus } from '@backchannel/messaging';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';

/**
 * Liveness says the process runs; readiness says it can serve HTTP (its database answers: HTTP
 * needs no Kafka, and a restarted replica serves at once); consumer says its Kafka consumer
 * consumes (always ok for a process without one, and in the embedded profile, which has no Kafka).
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional() @Inject(ConsumerHealth) private readonly consumerHealth?: ConsumerHealth,
  ) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      throw new ServiceUnavailableException('The database is not reachable.');
    }
  }

  @Get('consumer')
  consumer(@Res({ passthrough: true }) reply: FastifyReply): ConsumerHealthStatus {
    const health = this.consumerHealth?.status() ?? { status: 'ok' };
    reply.status(health.status === 'ok' ? 200 : 503).header('cache-control', 'no-store');
    return health;
  }
}
