import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { GatewayModule } from './gateway.module.js';
import { registerGatewayRoutes } from './proxy/gateway-routes.js';

runHttpService({
  service: 'gateway',
  features: [GatewayModule],
  // the gateway appends no events, so it needs no messaging; it reads the public keys for /jwks
  infrastructure: (config) => [CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey })],
  beforeListen: (app, config) => registerGatewayRoutes(app.getHttpAdapter().getInstance(), config),
});
