export * from './device-channel-setting.js';
export * from './device-channels.repository.js';
export * from './vapid-keys.service.js';
export * from './channel-callback-tokens.repository.js';
export * from './keycloak-channel-request.js';
export { DeviceChannelsModule } from './device-channels.module.js';
