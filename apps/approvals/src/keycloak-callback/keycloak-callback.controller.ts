import { Body, Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from '@backchannel/http';
import { KeycloakCallbackHandler } from './keycloak-callback.handler.js';

/**
 * Keycloak's authentication channel callback, at Keycloak's path (any realm name), so a backend
 * configured with a Keycloak base URL can be pointed at Backchannel's.
 */
@Controller('realms/:realm/protocol/openid-connect/ext/ciba/auth/callback')
export class KeycloakCallbackController {
  constructor(private readonly handler: KeycloakCallbackHandler) {}

  @Post()
  @HttpCode(200)
  async callback(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.handler.report(request, bearerToken(authorization), body);
  }
}
