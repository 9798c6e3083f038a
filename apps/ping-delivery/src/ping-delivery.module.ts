import { Module } from '@nestjs/common';
import { ClientNotificationsModule } from './client-notifications/client-notifications.module.js';

/**
 * ping-delivery: calls to clients' notification endpoints (ping, and push of tokens or errors).
 * Needs the configuration, the event store, messaging (EventHandlerRunner) and CryptoModule (PayloadSealer).
 */
@Module({ imports: [ClientNotificationsModule] })
export class PingDeliveryModule {}
