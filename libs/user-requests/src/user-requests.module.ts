import { Module } from '@nestjs/common';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { CreateUserRequests1765000000100 } from './migrations/1765000000100-create-user-requests.js';
import { UserRequestsOpenByExpiry1765000000400 } from './migrations/1765000000400-user-requests-open-by-expiry.js';
import { UserRequestsAcrValues1765100000900 } from './migrations/1765100000900-user-requests-acr-values.js';
import { UserRequestsConsentDetails1765500000400 } from './migrations/1765500000400-user-requests-consent-details.js';
import { PromptLimits1765600000100 } from './migrations/1765600000100-prompt-limits.js';
import { UserRequests } from './user-requests.repository.js';

/** The requests made to each user: added by /bc-authorize (backchannel), listed and answered in approvals. */
@Module({ providers: [UserRequests], exports: [UserRequests] })
export class UserRequestsModule {
  static readonly migrations: readonly Migration[] = [
    CreateUserRequests1765000000100,
    UserRequestsOpenByExpiry1765000000400,
    UserRequestsAcrValues1765100000900,
    UserRequestsConsentDetails1765500000400,
    PromptLimits1765600000100,
  ];
  static readonly retention: readonly RetentionRule[] = [
    { table: 'user_requests', endedAt: 'expires_at' },
    { table: 'client_blocks', endedAt: 'blocked_at' },
  ];
}
