import { Module } from '@nestjs/common';
import { AuthenticatorModule } from './authenticator/authenticator.module.js';
import { DeviceApiModule } from './device-api/device-api.module.js';
import { KeycloakCallbackModule } from './keycloak-callback/keycloak-callback.module.js';
import { UserAdminModule } from './user-admin/user-admin.module.js';

/**
 * Where users answer: the device API, the built-in authenticator, the Keycloak-compatible channel's
 * callback (each door recording answers through the one AnswerRecorder), and the admin API of
 * users and devices. Needs the configuration, the event store and CryptoModule (sealed secrets).
 */
@Module({ imports: [DeviceApiModule, AuthenticatorModule, KeycloakCallbackModule, UserAdminModule] })
export class ApprovalsModule {}
