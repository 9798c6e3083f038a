import { Module } from '@nestjs/common';
import { DirectoryModule } from '@backchannel/directory';
import { DeviceTokenGuard } from './device-token.guard.js';

/** Devices authenticated by their bearer token, for the device API and the authenticator. */
@Module({
  imports: [DirectoryModule.forRoot()],
  providers: [DeviceTokenGuard],
  exports: [DeviceTokenGuard, DirectoryModule],
})
export class DeviceAuthModule {}
