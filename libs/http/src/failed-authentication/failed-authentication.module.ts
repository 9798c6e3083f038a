import { Module } from '@nestjs/common';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { AuthenticationFailuresRepository } from './authentication-failures.repository.js';
import { FailedAuthenticationLimit } from './failed-authentication-limit.js';
import { CreateAuthenticationFailures1765900004200 } from './migrations/1765900004200-create-authentication-failures.js';

/** The limit on failed authentications per client address, shared by the admin and device guards. */
@Module({
  providers: [AuthenticationFailuresRepository, FailedAuthenticationLimit],
  exports: [FailedAuthenticationLimit],
})
export class FailedAuthenticationModule {
  static readonly migrations: readonly Migration[] = [CreateAuthenticationFailures1765900004200];
  static readonly retention: readonly RetentionRule[] = [
    { table: 'authentication_failures', endedAt: 'window_ends_at' },
  ];
}
