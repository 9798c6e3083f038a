import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  NotFoundException,
  Param,
  Patch,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  DeviceRegistry,
  DirectoryConflictError,
  TooManyDevicesError,
  DirectoryValidationError,
  UnknownUserError,
  UserCodes,
  type User,
  UserDirectory,
  userResponse,
} from '@backchannel/directory';
import { AdminTokenGuard, adminActionContext, adminActionReason } from '@backchannel/http';
import { AnswerRecorder } from '../answers/answer-recorder.js';
import { EnrolmentService } from '../authenticator/enrolment/enrolment.service.js';
import { PasskeysRepository } from '../authenticator/passkeys/passkeys.repository.js';
import { DeviceRegistration } from './device-registration.service.js';

const NO_SUCH_USER = 'No user with this sub.';
const NO_SUCH_DEVICE = 'The user has no device with this device_id.';

/** The admin API for the built-in directory: users, and the devices they approve requests on. */
@Controller('admin/v1/users')
@UseGuards(AdminTokenGuard)
export class UserAdminController {
  constructor(
    private readonly users: UserDirectory,
    private readonly deviceRegistration: DeviceRegistration,
    private readonly enrolments: EnrolmentService,
    private readonly userCodes: UserCodes,
    private readonly devices: DeviceRegistry,
    private readonly answers: AnswerRecorder,
    private readonly passkeys: PasskeysRepository,
  ) {}

  /**
   * The user is asked nothing more: their devices are refused at once, their open requests end as
   * denied (`user_disabled`), and their tokens are no longer accepted. Answers how many requests ended.
   */
  @Post(':sub/disable')
  @HttpCode(200)
  async disable(
    @Param('sub') subject: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<{ ended_requests: number }> {
    await this.existingUser(subject);
    const reason = adminActionReason(body);
    const context = adminActionContext(request);
    await this.users.setDisabled(subject, true, reason, context);
    // also when it was disabled already: a request a failed call left open ends now
    return { ended_requests: await this.answers.endOpenRequestsOfUser(subject, 'user_disabled', context) };
  }

  @Post(':sub/enable')
  @HttpCode(204)
  async enable(@Param('sub') subject: string, @Req() request: FastifyRequest): Promise<void> {
    await this.existingUser(subject);
    await this.users.setDisabled(subject, false, null, adminActionContext(request));
  }

  @Post()
  @HttpCode(201)
  async createUser(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const context = adminActionContext(request);
    return userResponse(await translateDirectoryErrors(() => this.users.createUser(body, context)));
  }

  @Get(':sub')
  async getUser(@Param('sub') subject: string): Promise<Record<string, unknown>> {
    return userResponse(await this.existingUser(subject));
  }

  /** A JSON merge patch (RFC 7396) of the user's claims: a member set to null clears that claim. */
  @Patch(':sub')
  async updateUser(
    @Param('sub') subject: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<Record<string, unknown>> {
    const context = adminActionContext(request);
    const updated = await translateDirectoryErrors(() => this.users.updateUser(subject, body, context));
    if (updated === null) throw new NotFoundException(NO_SUCH_USER);
    return userResponse(updated);
  }

  /**
   * The user is gone (UserDeleted): their devices are revoked, their open requests end as denied
   * (`user_deleted`), and no token issued to them is accepted any more. Their sub is never given
   * again (a later POST with it is 409), so none of those tokens can come to name someone else.
   */
  @Delete(':sub')
  @HttpCode(204)
  async deleteUser(@Param('sub') subject: string, @Req() request: FastifyRequest): Promise<void> {
    const context = adminActionContext(request);
    if (!(await this.users.deleteUser(subject, context))) throw new NotFoundException(NO_SUCH_USER);
    // after the deletion, so no request made meanwhile stays open (one left by a failed call expires unanswered)
    await this.answers.endOpenRequestsOfUser(subject, 'user_deleted', context);
  }

  @Post(':sub/devices')
  @HttpCode(201)
  @Header('Cache-Control', 'no-store') // the only time the device token (and a webhook secret) is shown
  async registerDevice(
    @Param('sub') subject: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<{ device_id: string; device_token: string; channel: string; webhook_secret?: string }> {
    const context = adminActionContext(request);
    const device = await translateDirectoryErrors(() => this.deviceRegistration.register(subject, body, context));
    return {
      device_id: device.deviceId,
      device_token: device.deviceToken,
      channel: device.channel,
      ...(device.webhookSecret === undefined ? {} : { webhook_secret: device.webhookSecret }),
    };
  }

  /** The user's devices (device API, webhook, channel and passkey devices alike), oldest first. */
  @Get(':sub/devices')
  async listDevices(@Param('sub') subject: string): Promise<Record<string, string>[]> {
    await this.existingUser(subject);
    return (await this.devices.list(subject)).map((device) => ({
      device_id: device.deviceId,
      name: device.name,
      answer_door: device.answerDoor,
      created_at: device.createdAt,
    }));
  }

  /** A lost phone, a passkey to remove: the device's token, channel and passkey stop working at once. */
  @Delete(':sub/devices/:deviceId')
  @HttpCode(204)
  async revokeDevice(
    @Param('sub') subject: string,
    @Param('deviceId') deviceId: string,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    if ((await this.devices.revoke(subject, { deviceId }, null, adminActionContext(request))) === 0) {
      throw new NotFoundException(NO_SUCH_DEVICE);
    }
  }

  /** The device's passkeys (built-in authenticator devices), oldest first: no key material. */
  @Get(':sub/devices/:deviceId/passkeys')
  async listPasskeys(
    @Param('sub') subject: string,
    @Param('deviceId') deviceId: string,
  ): Promise<{ credential_id: string; created_at: string; last_used_at: string | null; sign_count: number }[]> {
    if (!(await this.devices.list(subject)).some((device) => device.deviceId === deviceId)) {
      throw new NotFoundException(NO_SUCH_DEVICE);
    }
    return (await this.passkeys.listOfDevice(deviceId)).map((passkey) => ({
      credential_id: passkey.credentialId,
      created_at: passkey.createdAt,
      last_used_at: passkey.lastUsedAt,
      sign_count: passkey.signCount,
    }));
  }

  /**
   * One passkey signs no decision any more (a synced passkey exposed elsewhere), the device and
   * its other passkeys stay; with none left, the device must enrol again.
   */
  @Delete(':sub/devices/:deviceId/passkeys/:credentialId')
  @HttpCode(204)
  async revokePasskey(
    @Param('sub') subject: string,
    @Param('deviceId') deviceId: string,
    @Param('credentialId') credentialId: string,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    if (!(await this.passkeys.revoke(subject, deviceId, credentialId, adminActionContext(request)))) {
      throw new NotFoundException('The device has no passkey with this credential_id.');
    }
  }

  /** Every device of the user, e.g. when an account is compromised; answers how many were revoked. */
  @Delete(':sub/devices')
  async revokeAllDevices(@Param('sub') subject: string, @Req() request: FastifyRequest): Promise<{ revoked: number }> {
    await this.existingUser(subject);
    return { revoked: await this.devices.revoke(subject, 'all', null, adminActionContext(request)) };
  }

  /** The user's CIBA user code (§7.1.2), kept only hashed; clients registered with backchannel_user_code_parameter send it. */
  @Post(':sub/user-code')
  @HttpCode(204)
  async setUserCode(
    @Param('sub') subject: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    const code = (body as { user_code?: unknown } | null)?.user_code;
    await translateDirectoryErrors(() => this.userCodes.set(subject, code, adminActionContext(request)));
  }

  /** A one-time code (and its link and QR code) that enrols a device in the built-in authenticator. */
  @Post(':sub/enrolments')
  @HttpCode(201)
  @Header('Cache-Control', 'no-store') // the code is a credential until redeemed
  async createEnrolment(
    @Param('sub') subject: string,
    @Req() request: FastifyRequest,
  ): Promise<{ enrolment_code: string; enrolment_url: string; expires_at: string; qr_svg: string }> {
    const context = adminActionContext(request);
    const enrolment = await translateDirectoryErrors(() => this.enrolments.create(subject, context));
    return {
      enrolment_code: enrolment.code,
      enrolment_url: enrolment.url,
      expires_at: enrolment.expiresAt.toISOString(),
      qr_svg: enrolment.qrSvg,
    };
  }

  private async existingUser(subject: string): Promise<User> {
    const user = await this.users.findBySubject(subject);
    if (user === null) throw new NotFoundException(NO_SUCH_USER);
    return user;
  }
}

async function translateDirectoryErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DirectoryValidationError) throw new BadRequestException(error.message);
    if (error instanceof DirectoryConflictError || error instanceof TooManyDevicesError) {
      throw new ConflictException(error.message);
    }
    if (error instanceof UnknownUserError) throw new NotFoundException(error.message);
    throw error;
  }
}
