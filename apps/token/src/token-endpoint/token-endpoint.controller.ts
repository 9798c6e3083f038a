import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readOAuthFormRequest } from '@backchannel/http';
import { REFRESH_TOKEN_GRANT_TYPE } from '@backchannel/oauth';
import { CibaGrantHandler } from '../ciba-grant/ciba-grant.handler.js';
import { type RefreshResponse, RefreshGrantHandler } from '../refresh-grant/refresh-grant.handler.js';
import { SenderConstraints } from '../sender-constraint/sender-constraints.js';
import type { TokenResponse } from '../token-minting/token-minter.js';

/** The token endpoint (RFC 6749 §3.2): the CIBA grant (CIBA §10.1) and refreshes (RFC 6749 §6). */
@Controller()
export class TokenEndpointController {
  constructor(
    private readonly cibaGrant: CibaGrantHandler,
    private readonly refreshGrant: RefreshGrantHandler,
    private readonly senderConstraints: SenderConstraints,
  ) {}

  @Post('token')
  @HttpCode(200)
  async token(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse | RefreshResponse> {
    const input = readOAuthFormRequest(request, reply);
    // RFC 9449 §8: a DPoP client learns the next nonce from every answer, errors included
    const nonce = this.senderConstraints.nonceFor(input);
    if (nonce !== null) reply.header('DPoP-Nonce', nonce);
    // each handler authenticates the client before it reads the grant (checklist M.2); the CIBA
    // grant's handler answers a missing or unknown grant_type
    return input.params.get('grant_type') === REFRESH_TOKEN_GRANT_TYPE
      ? this.refreshGrant.handle(input)
      : this.cibaGrant.handle(input);
  }
}
