import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserinfoClaims } from '@backchannel/directory';
import { SenderConstraints } from '../sender-constraint/sender-constraints.js';
import { UserinfoHandler } from './userinfo.handler.js';

/** OIDC Core §5.3: userinfo by GET or POST, the access token in the Authorization header. */
@Controller()
export class UserinfoController {
  constructor(
    private readonly userinfo: UserinfoHandler,
    private readonly senderConstraints: SenderConstraints,
  ) {}

  @Get('userinfo')
  get(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<UserinfoClaims> {
    return this.answer(request, reply);
  }

  @Post('userinfo')
  @HttpCode(200)
  post(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<UserinfoClaims> {
    return this.answer(request, reply);
  }

  private answer(request: FastifyRequest, reply: FastifyReply): Promise<UserinfoClaims> {
    const now = new Date();
    const dpopProof = request.headers.dpop;
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    // RFC 9449 §9: a DPoP client learns the next nonce from every answer, errors included
    const nonce = this.senderConstraints.nonceFor({ ...(dpopProof !== undefined && { dpopProof }), now });
    if (nonce !== null) reply.header('DPoP-Nonce', nonce);
    return this.userinfo.handle({
      authorization: request.headers.authorization,
      method: request.method,
      ...(dpopProof !== undefined && { dpopProof }),
      clientCertificate: request.clientCertificate(),
      now,
    });
  }
}
