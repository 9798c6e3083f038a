import { AuthenticatorWebController } from './authenticator-web.controller.js';
import { EnrolmentCodesRepository } from './enrolment/enrolment-codes.repository.js';
import { EnrolmentController } from './enrolment/enrolment.controller.js';
import { EnrolmentService } from './enrolment/enrolment.service.js';
import { PasskeyRelyingParty } from './passkeys/passkey-relying-party.js';
import { PasskeysRepository } from './passkeys/passkeys.repository.js';
import { PushSubscriptionController } from './push/push-subscription.controller.js';
import { AuthenticatorRequestsController } from './requests/authenticator-requests.controller.js';
import { DecisionNoncesRepository } from './requests/decision-nonces.repository.js';
import { PasskeyDecisionService } from './requests/passkey-decision.service.js';

/**
 * The built-in authenticator's part of the notifier. Listed in NotifierModule rather than a module
 * of its own, because it builds on the notifier's device API (its guard, its decision handler) and
 * the admin API creates enrolments with it.
 */
export const AUTHENTICATOR_CONTROLLERS = [
  AuthenticatorWebController,
  EnrolmentController,
  AuthenticatorRequestsController,
  PushSubscriptionController,
];

export const AUTHENTICATOR_PROVIDERS = [
  PasskeyRelyingParty,
  PasskeysRepository,
  EnrolmentCodesRepository,
  EnrolmentService,
  DecisionNoncesRepository,
  PasskeyDecisionService,
];
