import { Module } from '@nestjs/common';
import { AdminConsoleModule } from './admin-console/admin-console.module.js';
import { DiscoveryModule } from './discovery/discovery.module.js';

/** The gateway's own features; the rest of the public API is forwarded (see proxy/gateway-routes.ts). */
@Module({ imports: [DiscoveryModule, AdminConsoleModule] })
export class GatewayModule {}
