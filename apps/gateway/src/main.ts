import 'reflect-metadata';
import { loadConfig } from '@backchannel/config';
import { CryptoModule } from '@backchannel/crypto';
import { createHttpApplication, listen, runService, serviceRootModule } from '@backchannel/http';
import { GatewayModule } from './gateway.module.js';
import { registerGatewayRoutes } from './proxy/gateway-routes.js';

const SERVICE = 'gateway';

runService(SERVICE, async () => {
  const config = loadConfig();
  // The gateway appends no events, so it needs no messaging; it reads the public keys for /jwks.
  const keys = CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey });
  const app = await createHttpApplication(serviceRootModule(config, SERVICE, [GatewayModule], [keys]), config, SERVICE);
  await registerGatewayRoutes(app.getHttpAdapter().getInstance(), config);
  await listen(app, config, SERVICE);
});
