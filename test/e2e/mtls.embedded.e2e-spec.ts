import { describeMutualTls } from './support/mtls.scenarios.js';
import { startEmbeddedStack } from './support/stacks.js';

describeMutualTls('mutual TLS against npm start, which terminates TLS itself', startEmbeddedStack);
