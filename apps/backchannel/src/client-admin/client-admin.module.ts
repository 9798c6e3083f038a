import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { HttpModule } from '@backchannel/http';
import { ClientAdminController, InitialAccessTokenAdminController } from './client-admin.controller.js';

/** The client registry's admin API. */
@Module({
  imports: [ClientsModule, HttpModule],
  controllers: [ClientAdminController, InitialAccessTokenAdminController],
})
export class ClientAdminModule {}
