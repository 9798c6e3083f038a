import { Module } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard.js';
import { FailedAuthenticationModule } from './failed-authentication/failed-authentication.module.js';
import { HealthController } from './health.controller.js';

/**
 * Health endpoints, the admin guard and the limit on failed authentications it and the device
 * guard apply, shared by every HTTP service. A feature whose routes are guarded imports it, so
 * that the service creates the table of failures.
 */
@Module({
  imports: [FailedAuthenticationModule],
  controllers: [HealthController],
  providers: [AdminTokenGuard],
  exports: [AdminTokenGuard, FailedAuthenticationModule],
})
export class HttpModule {}
