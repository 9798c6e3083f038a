import {
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
import { ClientRegistry, clientRegistrationResponse } from '@backchannel/clients';
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
