import { Module } from '@nestjs/common';
import { DiscoveryController } from './discovery.controller.js';

/** Discovery and JWKS documents, served by the gateway itself. Needs CryptoModule for the keys. */
@Module({ controllers: [DiscoveryController] })
export class DiscoveryModule {}
