import { describeMutualTls } from './support/mtls.scenarios.js';
import { startDistributedStack } from './support/stacks.js';

describeMutualTls(
  'mutual TLS through the gateway, which terminates TLS and forwards the certificate to the services',
  startDistributedStack,
);
