import { describeFapiClients } from './support/fapi-clients.scenarios.js';
import { startEmbeddedStack } from './support/stacks.js';

describeFapiClients('FAPI-grade clients against npm start, which terminates TLS itself', startEmbeddedStack);
