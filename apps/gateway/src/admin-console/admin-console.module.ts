import { Module } from '@nestjs/common';
import { HttpModule } from '@backchannel/http';
import { AdminConsoleApiController, AdminConsoleWebController } from './admin-console.controller.js';
import { AdminConsoleQueries } from './admin-console.queries.js';

/** The operators' console in the browser: served by the gateway (and the embedded app) at /admin/console/. */
@Module({
  // the admin guard, with its limit on failed authentications
  imports: [HttpModule],
  controllers: [AdminConsoleWebController, AdminConsoleApiController],
  providers: [AdminConsoleQueries],
})
export class AdminConsoleModule {}
