import { describeFapiClients } from './support/fapi-clients.scenarios.js';
import { startDistributedStack } from './support/stacks.js';

describeFapiClients(
  'FAPI-grade clients through the gateway, which terminates TLS and forwards client certificates to the services',
  startDistributedStack,
);
