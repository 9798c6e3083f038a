import { Module } from '@nestjs/common';
import { DirectoryModule } from '@backchannel/directory';
import { EgressModule } from '@backchannel/egress';
import { HttpModule } from '@backchannel/http';
import { AUTHENTICATOR_CONTROLLERS, AUTHENTICATOR_PROVIDERS } from './authenticator/authenticator.feature.js';
import { DEVICE_CHANNEL_CONTROLLERS, DEVICE_CHANNEL_PROVIDERS } from './channels/device-channels.feature.js';
import { DeviceDecisionHandler } from './device-api/device-decision.handler.js';
import { DeviceRequestsController } from './device-api/device-requests.controller.js';
import { DeviceTokenGuard } from './device-api/device-token.guard.js';
import { PendingRequestsProjection } from './pending-requests/pending-requests.projection.js';
import { PendingRequestsRepository } from './pending-requests/pending-requests.repository.js';
import { UserAdminController } from './user-admin/user-admin.controller.js';

/**
 * The notifier's features: the pending-requests consumer, the device API, the device channels and
 * their delivery worker, the authenticator and the directory's admin API.
 */
@Module({
  imports: [DirectoryModule.forRoot(), HttpModule, EgressModule.forRoot()],
  controllers: [
    PendingRequestsProjection,
    DeviceRequestsController,
    UserAdminController,
    ...AUTHENTICATOR_CONTROLLERS,
    ...DEVICE_CHANNEL_CONTROLLERS,
  ],
  providers: [
    PendingRequestsRepository,
    DeviceDecisionHandler,
    DeviceTokenGuard,
    ...DEVICE_CHANNEL_PROVIDERS,
    ...AUTHENTICATOR_PROVIDERS,
  ],
})
export class NotifierModule {}
