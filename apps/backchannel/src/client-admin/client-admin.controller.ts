import {
  BadRequestException,
  Body,
  Controller,
  Delete,
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
  ClientHasNoSecretError,
  ClientRegistry,
  type RegisteredClient,
  DEFAULT_INITIAL_ACCESS_TOKEN_SECONDS,
  InitialAccessTokens,
  clientRegistrationResponse,
} from '@backchannel/clients';
import { AdminTokenGuard, adminActionContext, adminActionReason } from '@backchannel/http';

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
    return clientRegistrationResponse(await this.existing(clientId));
  }

  /** The client is refused everywhere, and its tokens are not accepted, at once in every replica. */
  @Post(':clientId/disable')
  @HttpCode(204)
  async disable(@Param('clientId') clientId: string, @Body() body: unknown, @Req() request: FastifyRequest) {
    await this.existing(clientId);
    const reason = adminActionReason(body);
    await this.registry.disable(clientId, reason, adminActionContext(request));
  }

  @Post(':clientId/enable')
  @HttpCode(204)
  async enable(@Param('clientId') clientId: string, @Req() request: FastifyRequest): Promise<void> {
    await this.existing(clientId);
    await this.registry.enable(clientId, adminActionContext(request));
  }

  /** A new secret, shown this once; the previous one serves for `grace_seconds` more (default 0, at most a week). */
  @Post(':clientId/secret')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async rotateSecret(
    @Param('clientId') clientId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<{ client_secret: string; previous_secret_valid_until: string | null }> {
    const grace = (body as { grace_seconds?: unknown } | null)?.grace_seconds ?? 0;
    if (!Number.isInteger(grace) || (grace as number) < 0 || (grace as number) > MAX_SECRET_GRACE_SECONDS) {
      throw new BadRequestException(`grace_seconds must be an integer from 0 to ${MAX_SECRET_GRACE_SECONDS}.`);
    }
    const client = await this.existing(clientId);
    const context = adminActionContext(request);
    try {
      const secret = await this.registry.rotateSecret(client, grace as number, context);
      const validUntil = (grace as number) > 0 ? new Date(context.now.getTime() + (grace as number) * 1000) : null;
      return { client_secret: secret, previous_secret_valid_until: validUntil?.toISOString() ?? null };
    } catch (error) {
      if (error instanceof ClientHasNoSecretError)
        throw new BadRequestException(`The client has no secret to rotate: ${error.message}.`);
      throw error;
    }
  }

  @Delete(':clientId')
  @HttpCode(204)
  async remove(@Param('clientId') clientId: string, @Req() request: FastifyRequest): Promise<void> {
    await this.existing(clientId);
    await this.registry.remove(clientId, adminActionContext(request));
  }

  private async existing(clientId: string): Promise<RegisteredClient> {
    const client = await this.registry.find(clientId);
    if (!client) throw new NotFoundException('No client with this client_id.');
    return client;
  }
}

/** A week: long enough to redeploy a client, short enough that a leaked secret does not linger. */
const MAX_SECRET_GRACE_SECONDS = 7 * 86_400;

/** The admin API's initial access tokens, for dynamic registration at /register (RFC 7591 §3). */
@Controller('admin/v1/initial-access-tokens')
@UseGuards(AdminTokenGuard)
export class InitialAccessTokenAdminController {
  constructor(private readonly initialAccessTokens: InitialAccessTokens) {}

  /** RFC 7591 §3: a token that lets software register one client at /register, until it expires. */
  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  async issueInitialAccessToken(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<{ initial_access_token: string; expires_at: string }> {
    const requested = (body as { expires_in?: unknown } | null)?.expires_in ?? DEFAULT_INITIAL_ACCESS_TOKEN_SECONDS;
    if (!Number.isInteger(requested) || (requested as number) < 60 || (requested as number) > 30 * 86_400) {
      throw new BadRequestException('expires_in must be an integer number of seconds, from 60 to 2592000.');
    }
    const { token, expiresAt } = await this.initialAccessTokens.issue(requested as number, adminActionContext(request));
    return { initial_access_token: token, expires_at: expiresAt.toISOString() };
  }
}
