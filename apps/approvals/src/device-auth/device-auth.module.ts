import { Module } from '@nestjs/common';
import { DirectoryModule } from '@backchannel/directory';
import { HttpModule } from '@backchannel/http';
import { DeviceTokenGuard } from './device-token.guard.js';

/** Devices authenticated by their bearer token, for the device API and the authenticator (with the limit on failures). */
@Module({
  imports: [DirectoryModule, HttpModule],
  providers: [DeviceTokenGuard],
  exports: [DeviceTokenGuard, DirectoryModule, HttpModule],
})
export class DeviceAuthModule {}
