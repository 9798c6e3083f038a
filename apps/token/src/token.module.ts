import { Module } from '@nestjs/common';
import { CibaGrantModule } from './ciba-grant/ciba-grant.module.js';
import { PushIssuanceModule } from './push-issuance/push-issuance.module.js';

/**
 * The token service: /token for the CIBA grant, and push-mode issuance. Signing keys and sealing
 * come from CryptoModule, the handler runner from MessagingModule.
 */
@Module({ imports: [CibaGrantModule, PushIssuanceModule] })
export class TokenModule {}
