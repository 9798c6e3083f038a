import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  ClientRegistry,
  DEFAULT_INITIAL_ACCESS_TOKEN_SECONDS,
  InitialAccessTokens,
  clientRegistrationResponse,
} from '@backchannel/clients';
import { AdminTokenGuard } from '@backchannel/http';

/** The admin API for clients: RFC 7591 metadata in, client_id and (for secret methods) a once-shown client_secret out. */
@Controller('admin/v1/clients')
@UseGuards(AdminTokenGuard)
export class ClientAdminController {
  constructor(private readonly registry: ClientRegistry) {}

  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store') // the only time the secret is shown
  async register(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const { client, clientSecret } = await this.registry.register(body, {
      actor: 'admin',
      correlationId: request.id,
      now: new Date(),
    });
    return { ...clientRegistrationResponse(client), ...(clientSecret !== null && { client_secret: clientSecret }) };
  }

  @Get(':clientId')
  async find(@Param('clientId') clientId: string): Promise<Record<string, unknown>> {
    const client = await this.registry.find(clientId);
    if (!client) throw new NotFoundException('No client with this client_id.');
    return clientRegistrationResponse(client);
  }
}

/** The admin API's initial access tokens, for dynamic registration at /register (RFC 7591 §3). */
@Controller('admin/v1/initial-access-tokens')
@UseGuards(AdminTokenGuard)
export class InitialAccessTokenAdminController {
  constructor(private readonly initialAccessTokens: InitialAccessTokens) {}

  /** RFC 7591 §3: a token that lets software register one client at /register, until it expires. */
  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  async issueInitialAccessToken(@Body() body: unknown): Promise<{ initial_access_token: string; expires_at: string }> {
    const requested = (body as { expires_in?: unknown } | null)?.expires_in ?? DEFAULT_INITIAL_ACCESS_TOKEN_SECONDS;
    if (!Number.isInteger(requested) || (requested as number) < 60 || (requested as number) > 30 * 86_400) {
      throw new BadRequestException('expires_in must be an integer number of seconds, from 60 to 2592000.');
    }
    const { token, expiresAt } = await this.initialAccessTokens.issue(requested as number, new Date());
    return { initial_access_token: token, expires_at: expiresAt.toISOString() };
  }
}
