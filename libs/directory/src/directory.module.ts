import { Module } from '@nestjs/common';
import type { Migration } from '@backchannel/event-store';
import { DeviceRegistry } from './device-registry.service.js';
import { DirectoryCache } from './directory-cache.js';
import { CreateDirectory1763700000400 } from './migrations/1763700000400-create-directory.js';
import { DeviceAnswerDoors1765000000000 } from './migrations/1765000000000-device-answer-doors.js';
import { DevicesBySubject1765000000500 } from './migrations/1765000000500-devices-by-subject.js';
import { UserCodes1765100000800 } from './migrations/1765100000800-user-codes.js';
import { UserDisabling1765400000300 } from './migrations/1765400000300-user-disabling.js';
import { ProfileClaims1765500000100 } from './migrations/1765500000100-profile-claims.js';
import { UserDeletion1765500000200 } from './migrations/1765500000200-user-deletion.js';
import { DirectoryChangeNotifications1765900004300 } from './migrations/1765900004300-directory-change-notifications.js';
import { UserCodes } from './user-codes.service.js';
import { UserDirectory } from './user-directory.service.js';

/** The built-in directory of users and their devices; needs the global EventStoreModule and ConfigModule. */
@Module({
  providers: [UserDirectory, DeviceRegistry, UserCodes, DirectoryCache],
  exports: [UserDirectory, DeviceRegistry, UserCodes, DirectoryCache],
})
export class DirectoryModule {
  static readonly migrations: readonly Migration[] = [
    CreateDirectory1763700000400,
    DeviceAnswerDoors1765000000000,
    DevicesBySubject1765000000500,
    UserCodes1765100000800,
    UserDisabling1765400000300,
    ProfileClaims1765500000100,
    UserDeletion1765500000200,
    DirectoryChangeNotifications1765900004300,
  ];
}
