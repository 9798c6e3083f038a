import { Module, type DynamicModule } from '@nestjs/common';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { CreateSigningKeys1763700000200 } from './migrations/1763700000200-create-signing-keys.js';
import { SigningKeyActivation1765400000100 } from './migrations/1765400000100-signing-key-activation.js';
import { ShreddableKeys1765400000200 } from './migrations/1765400000200-shreddable-keys.js';
import { ShreddablePayloads } from './shreddable-payloads.service.js';
import { DpopNonces } from './dpop-nonces.service.js';
import { PayloadSealer } from './payload-sealer.service.js';
import { SIGNING_KEY_OPTIONS, SigningKeys, type SigningKeyOptions } from './signing-keys.service.js';
import { TokenSigner } from './token-signer.service.js';

/**
 * Signing keys, token signing, sealed payloads and DPoP nonces; needs the DataSource that EventStoreModule provides globally.
 * Global, because the key-encryption keys are process configuration that features do not repeat.
 */
@Module({})
export class CryptoModule {
  static readonly migrations: readonly Migration[] = [
    CreateSigningKeys1763700000200,
    SigningKeyActivation1765400000100,
    ShreddableKeys1765400000200,
  ];
  static readonly retention: readonly RetentionRule[] = [{ table: 'shreddable_keys', endedAt: 'expires_at' }];

  /**
   * `options`: the configuration (its keyEncryptionKeys and signingKeys). Without key-encryption
   * keys (a service that needs none) only the published signing keys: nothing seals, opens or signs.
   */
  static forRoot(options: SigningKeyOptions): DynamicModule {
    const services =
      options.keyEncryptionKeys.length > 0
        ? [SigningKeys, TokenSigner, PayloadSealer, DpopNonces, ShreddablePayloads]
        : [SigningKeys];
    return {
      module: CryptoModule,
      global: true,
      providers: [{ provide: SIGNING_KEY_OPTIONS, useValue: options }, ...services],
      exports: services,
    };
  }
}
