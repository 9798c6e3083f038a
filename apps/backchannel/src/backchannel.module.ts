import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { DirectoryModule } from '@backchannel/directory';
import { HttpModule } from '@backchannel/http';
import { BcAuthorizeController } from './bc-authorize/bc-authorize.controller.js';
import { BcAuthorizeHandler } from './bc-authorize/bc-authorize.handler.js';
import { ClientAdminController } from './client-admin/client-admin.controller.js';
import { PendingQuotaConsumer } from './pending-quota/pending-quota.consumer.js';
import { PendingRequestSlots } from './pending-quota/pending-request-slots.repository.js';

/**
 * The backchannel service's features: /bc-authorize with its limits on open requests (and the
 * consumer that frees a slot once a request is decided), and the client registry's admin API.
 */
@Module({
  imports: [ClientsModule.forRoot(), DirectoryModule.forRoot(), HttpModule],
  controllers: [BcAuthorizeController, ClientAdminController, PendingQuotaConsumer],
  providers: [BcAuthorizeHandler, PendingRequestSlots],
})
export class BackchannelModule {}
