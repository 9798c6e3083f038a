import { Module } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard.js';
import { HealthController } from './health.controller.js';

/** Health endpoints and the admin guard, shared by every HTTP service. */
@Module({
  controllers: [HealthController],
  providers: [AdminTokenGuard],
  exports: [AdminTokenGuard],
})
export class HttpModule {}
