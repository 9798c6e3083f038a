import { Module, type DynamicModule } from '@nestjs/common';
import { DeviceRegistry } from './device-registry.service.js';
import { UserDirectory } from './user-directory.service.js';

/** The built-in directory of users and their devices; needs the DataSource from EventStoreModule. */
@Module({})
export class DirectoryModule {
  static forRoot(): DynamicModule {
    return {
      module: DirectoryModule,
      providers: [UserDirectory, DeviceRegistry],
      exports: [UserDirectory, DeviceRegistry],
    };
  }
}
