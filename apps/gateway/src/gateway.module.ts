import { Module } from '@nestjs/common';
import { DiscoveryModule } from './discovery/discovery.module.js';

/** The gateway's own features; the rest of the public API is forwarded (see proxy/gateway-routes.ts). */
@Module({ imports: [DiscoveryModule] })
export class GatewayModule {}
