import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ClientRegistry,
  InitialAccessTokens,
  type Registration,
  type RegisteredClient,
  clientRegistrationResponse,
} from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { bearerToken } from '@backchannel/http';
import { InvalidClientMetadata, InvalidToken } from '@backchannel/oauth';

/** Members of a client information response that a client sends back on update and that are not metadata. */
const NOT_METADATA = [
  'client_id',
  'client_secret',
  'client_id_issued_at',
  'client_secret_expires_at',
  'registration_access_token',
  'registration_client_uri',
];

/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592). Registering takes an
 * initial access token from the admin API (unless OPEN_REGISTRATION); reading, updating and
 * deleting take the client's registration access token, which is rotated at each use (only its
 * digest is kept). A token that does not fit gets 401 invalid_token, whether the client exists or not.
 */
@Controller('register')
export class RegistrationController {
  private readonly issuer: string;
  private readonly openRegistration: boolean;

  constructor(
    private readonly registry: ClientRegistry,
    private readonly initialAccessTokens: InitialAccessTokens,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.issuer = config.issuer;
    this.openRegistration = config.openRegistration;
  }

  @Post()
  @HttpCode(201)
  async register(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    noStore(reply);
    const now = new Date();
    if (!this.openRegistration) {
      const token = bearerToken(authorization);
      if (token === null || !(await this.initialAccessTokens.redeem(token, now))) {
        throw new InvalidToken('Registration needs a valid initial access token, issued through the admin API.');
      }
    }
    const registration = await this.registry.register(body, context(request, 'registration', now), true);
    return this.informationResponse(registration);
  }

  @Get(':clientId')
  async read(
    @Param('clientId') clientId: string,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    noStore(reply);
    const { client, rotatedToken } = await this.managed(clientId, authorization);
    return this.informationResponse({ client, clientSecret: null, registrationAccessToken: rotatedToken });
  }

  @Put(':clientId')
  async update(
    @Param('clientId') clientId: string,
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    noStore(reply);
    const { client } = await this.managed(clientId, authorization);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidClientMetadata('client metadata must be a JSON object');
    }
    // RFC 7592 §2.2: the request names the client it updates
    if ((body as Record<string, unknown>)['client_id'] !== clientId) {
      throw new InvalidClientMetadata('client_id must be the client being updated');
    }
    const metadata = Object.fromEntries(Object.entries(body).filter(([member]) => !NOT_METADATA.includes(member)));
    const registration = await this.registry.update(
      client,
      metadata,
      context(request, `client:${clientId}`, new Date()),
    );
    return this.informationResponse(registration);
  }

  @Delete(':clientId')
  @HttpCode(204)
  async remove(
    @Param('clientId') clientId: string,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.managed(clientId, authorization);
    await this.registry.remove(clientId, context(request, `client:${clientId}`, new Date()));
  }

  private async managed(
    clientId: string,
    authorization: string | undefined,
  ): Promise<{ client: RegisteredClient; rotatedToken: string }> {
    const token = bearerToken(authorization);
    const access = token === null ? null : await this.registry.withRegistrationAccess(clientId, token);
    if (access === null) throw new InvalidToken('The registration access token is not valid for this client.');
    return access;
  }

  /** RFC 7591 §3.2.1 and RFC 7592 §3: the client, its credentials shown once, where to manage it. */
  private informationResponse({
    client,
    clientSecret,
    registrationAccessToken,
  }: Registration): Record<string, unknown> {
    return {
      ...clientRegistrationResponse(client),
      ...(clientSecret !== null && { client_secret: clientSecret }),
      ...(registrationAccessToken !== null && {
        registration_access_token: registrationAccessToken,
        registration_client_uri: `${this.issuer}/register/${encodeURIComponent(client.clientId)}`,
      }),
    };
  }
}

function noStore(reply: FastifyReply): void {
  reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
}

function context(request: FastifyRequest, actor: string, now: Date) {
  return { actor, correlationId: request.id, now };
}
