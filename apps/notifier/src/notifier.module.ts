import { Module } from '@nestjs/common';
import { DirectoryModule } from '@backchannel/directory';
import { HttpModule } from '@backchannel/http';
import { DeviceDecisionHandler } from './device-api/device-decision.handler.js';
import { DeviceRequestsController } from './device-api/device-requests.controller.js';
import { DeviceTokenGuard } from './device-api/device-token.guard.js';
import { PendingRequestsProjection } from './pending-requests/pending-requests.projection.js';
import { PendingRequestsRepository } from './pending-requests/pending-requests.repository.js';
import { UserAdminController } from './user-admin/user-admin.controller.js';

/** The notifier's features: the pending-requests consumer, the device API and the directory's admin API. */
@Module({
  imports: [DirectoryModule.forRoot(), HttpModule],
  controllers: [PendingRequestsProjection, DeviceRequestsController, UserAdminController],
  providers: [PendingRequestsRepository, DeviceDecisionHandler, DeviceTokenGuard],
})
export class NotifierModule {}
