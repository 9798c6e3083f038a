import { Module } from '@nestjs/common';
import { DeviceChannelsModule } from '@backchannel/device-channels';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { UserRequestsModule } from '@backchannel/user-requests';
import { AnswersModule } from '../answers/answers.module.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { AuthenticatorWebController } from './authenticator-web.controller.js';
import { EnrolmentCodesRepository } from './enrolment/enrolment-codes.repository.js';
import { EnrolmentController } from './enrolment/enrolment.controller.js';
import { EnrolmentService } from './enrolment/enrolment.service.js';
import { CreateAuthenticatorTables1763700000700 } from './migrations/1763700000700-create-authenticator-tables.js';
import { PasskeyLastUse1765500000300 } from './migrations/1765500000300-passkey-last-use.js';
import { PasskeyRelyingParty } from './passkeys/passkey-relying-party.js';
import { PasskeysRepository } from './passkeys/passkeys.repository.js';
import { PushSubscriptionController } from './push/push-subscription.controller.js';
import { AuthenticatorRequestsController } from './requests/authenticator-requests.controller.js';
import { DecisionNoncesRepository } from './requests/decision-nonces.repository.js';
import { PasskeyDecisionService } from './requests/passkey-decision.service.js';

/**
 * The built-in authenticator: its web app, enrolment (a one-time code redeemed by registering a
 * passkey, which creates the device), its users' requests and their passkey-signed answers, and
 * its Web Push subscription. Exports enrolment and the passkeys for the admin API.
 */
@Module({
  imports: [AnswersModule, DeviceAuthModule, DeviceChannelsModule, UserRequestsModule],
  controllers: [
    AuthenticatorWebController,
    EnrolmentController,
    AuthenticatorRequestsController,
    PushSubscriptionController,
  ],
  providers: [
    PasskeyRelyingParty,
    PasskeysRepository,
    EnrolmentCodesRepository,
    EnrolmentService,
    DecisionNoncesRepository,
    PasskeyDecisionService,
  ],
  exports: [EnrolmentService, PasskeysRepository],
})
export class AuthenticatorModule {
  static readonly migrations: readonly Migration[] = [
    CreateAuthenticatorTables1763700000700,
    PasskeyLastUse1765500000300,
  ];
  static readonly retention: readonly RetentionRule[] = [
    { table: 'decision_nonces', endedAt: 'expires_at' },
    { table: 'enrolment_codes', endedAt: 'expires_at' },
  ];
}
