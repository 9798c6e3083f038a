import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Header,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  DeviceRegistry,
  DirectoryConflictError,
  DirectoryValidationError,
  UnknownUserError,
  UserDirectory,
  userResponse,
} from '@backchannel/directory';
import { AdminTokenGuard } from '@backchannel/http';

/** The admin API for the built-in directory: users, and the devices they approve requests on. */
@Controller('admin/v1/users')
@UseGuards(AdminTokenGuard)
export class UserAdminController {
  constructor(
    private readonly users: UserDirectory,
    private readonly devices: DeviceRegistry,
  ) {}

  @Post()
  @HttpCode(201)
  async createUser(@Body() body: unknown): Promise<Record<string, unknown>> {
    return userResponse(await translateDirectoryErrors(() => this.users.createUser(body)));
  }

  @Post(':sub/devices')
  @HttpCode(201)
  @Header('Cache-Control', 'no-store') // the only time the device token is shown
  async registerDevice(
    @Param('sub') subject: string,
    @Body() body: unknown,
  ): Promise<{ device_id: string; device_token: string }> {
    const device = await translateDirectoryErrors(() => this.devices.registerDevice(subject, body));
    return { device_id: device.deviceId, device_token: device.deviceToken };
  }
}

async function translateDirectoryErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DirectoryValidationError) throw new BadRequestException(error.message);
    if (error instanceof DirectoryConflictError) throw new ConflictException(error.message);
    if (error instanceof UnknownUserError) throw new NotFoundException(error.message);
    throw error;
  }
}
