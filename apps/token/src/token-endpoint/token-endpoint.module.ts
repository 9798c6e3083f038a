import { Module } from '@nestjs/common';
import { CibaGrantModule } from '../ciba-grant/ciba-grant.module.js';
import { RefreshGrantModule } from '../refresh-grant/refresh-grant.module.js';
import { SenderConstraintModule } from '../sender-constraint/sender-constraint.module.js';
import { TokenEndpointController } from './token-endpoint.controller.js';

/** /token, which hands each grant to its handler. */
@Module({
  imports: [CibaGrantModule, RefreshGrantModule, SenderConstraintModule],
  controllers: [TokenEndpointController],
})
export class TokenEndpointModule {}
