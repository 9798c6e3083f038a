import { Controller, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { WebAppHeaders } from '@backchannel/http';
import { EnrolmentService } from './enrolment.service.js';

/**
 * Redeeming an enrolment code: the code is the only credential until the device has its token
 * (an unknown code is a failed authentication, EnrolmentService).
 */
@Controller('authenticator/api/enrolment')
@UseInterceptors(WebAppHeaders)
export class EnrolmentController {
  constructor(private readonly enrolments: EnrolmentService) {}

  @Post('options')
  @HttpCode(200)
  options(@Req() request: FastifyRequest): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.enrolments.registrationOptions(request, new Date());
  }

  @Post('verify')
  @HttpCode(201)
  async verify(@Req() request: FastifyRequest): Promise<{ device_id: string; device_token: string }> {
    const device = await this.enrolments.register(request, new Date());
    return { device_id: device.deviceId, device_token: device.deviceToken };
  }
}
