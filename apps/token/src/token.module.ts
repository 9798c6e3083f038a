import { Module } from '@nestjs/common';
import { TokenEndpointModule } from './token-endpoint/token-endpoint.module.js';
import { TokenManagementModule } from './token-management/token-management.module.js';
import { PushIssuanceModule } from './push-issuance/push-issuance.module.js';
import { UserinfoModule } from './userinfo/userinfo.module.js';

/**
 * The token service: /token for the CIBA and refresh grants, introspection and revocation,
 * userinfo, and push-mode issuance. Signing keys and sealing
 * come from CryptoModule, the handler runner from MessagingModule.
 */
@Module({ imports: [TokenEndpointModule, TokenManagementModule, UserinfoModule, PushIssuanceModule] })
export class TokenModule {}
