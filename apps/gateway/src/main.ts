import 'reflect-metadata';
import { runHttpService } from '@backchannel/http';
import { GatewayModule } from './gateway.module.js';
import { registerGatewayRoutes } from './proxy/gateway-routes.js';

// the gateway writes no events, so it needs no messaging; it reads the public keys for /jwks
runHttpService({
  service: 'gateway',
  features: [GatewayModule],
  beforeListen: (app, config) => registerGatewayRoutes(app.getHttpAdapter().getInstance(), config),
});
