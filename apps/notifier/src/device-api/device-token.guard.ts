import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DeviceRegistry } from '@backchannel/directory';
import { bearerToken } from '@backchannel/http';

export interface AuthenticatedDevice {
  deviceId: string;
  subject: string;
}

export type DeviceRequest = FastifyRequest & { device?: AuthenticatedDevice };

/** The device DeviceTokenGuard authenticated for this request. */
export function deviceOf(request: DeviceRequest): AuthenticatedDevice {
  if (!request.device) throw new Error('DeviceTokenGuard did not run');
  return request.device;
}

/** The device API takes `Authorization: Bearer <device_token>`; the device's user is the only one it may act for. */
@Injectable()
export class DeviceTokenGuard implements CanActivate {
  constructor(private readonly devices: DeviceRegistry) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DeviceRequest>();
    const token = bearerToken(request.headers.authorization);
    const device = token === null ? null : await this.devices.authenticate(token);
    if (!device) throw new UnauthorizedException('A valid device bearer token is required.');
    request.device = device;
    return true;
  }
}
