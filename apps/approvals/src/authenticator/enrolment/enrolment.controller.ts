import { Body, Controller, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { WebAppHeaders } from '@backchannel/http';
import { EnrolmentService } from './enrolment.service.js';

/** Redeeming an enrolment code: the code is the only credential until the device has its token. */
@Controller('authenticator/api/enrolment')
@UseInterceptors(WebAppHeaders)
export class EnrolmentController {
  constructor(private readonly enrolments: EnrolmentService) {}

  @Post('options')
  @HttpCode(200)
  options(@Body() body: unknown): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.enrolments.registrationOptions(body, new Date());
  }

  @Post('verify')
  @HttpCode(201)
  async verify(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<{ device_id: string; device_token: string }> {
    const device = await this.enrolments.register(body, new Date(), request.id);
    return { device_id: device.deviceId, device_token: device.deviceToken };
  }
}
