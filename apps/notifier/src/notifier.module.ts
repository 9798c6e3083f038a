import { Module } from '@nestjs/common';
import { DeviceNotificationsModule } from './device-notifications/device-notifications.module.js';

/**
 * The notifier: outbound to the user. Each new request reaches the user's devices through their
 * channels (Web Push, webhook, Keycloak-compatible HTTP). Where users answer is the approvals
 * service. Needs the configuration, the event store, messaging and CryptoModule.
 */
@Module({ imports: [DeviceNotificationsModule] })
export class NotifierModule {}
