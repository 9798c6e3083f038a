import { DeviceNotificationJobs } from '../notification-delivery/device-notification-jobs.repository.js';
import { DeviceNotificationDelivery } from '../notification-delivery/device-notification.service.js';
import { DeviceNotificationWorker } from '../notification-delivery/device-notification.worker.js';
import { DeviceRegistration } from '../user-admin/device-registration.service.js';
import { DeviceChannels } from './device-channels.js';
import { DeviceChannelsRepository } from './device-channels.repository.js';
import { ChannelCallbackTokens } from './keycloak-http/channel-callback-tokens.repository.js';
import { KeycloakCallbackController } from './keycloak-http/keycloak-callback.controller.js';
import { KeycloakCallbackHandler } from './keycloak-http/keycloak-callback.handler.js';
import { KeycloakHttpChannel } from './keycloak-http/keycloak-http.channel.js';
import { VapidKeys } from './vapid-keys.service.js';
import { WebPushChannel } from './web-push/web-push.channel.js';
import { WebhookChannel } from './webhook/webhook.channel.js';

/** The device channels and their delivery, for NotifierModule (which imports EgressModule for them). */
export const DEVICE_CHANNEL_CONTROLLERS = [KeycloakCallbackController];

export const DEVICE_CHANNEL_PROVIDERS = [
  DeviceChannelsRepository,
  VapidKeys,
  WebPushChannel,
  WebhookChannel,
  KeycloakHttpChannel,
  ChannelCallbackTokens,
  KeycloakCallbackHandler,
  DeviceChannels,
  DeviceNotificationJobs,
  DeviceNotificationDelivery,
  DeviceNotificationWorker,
  DeviceRegistration,
];
