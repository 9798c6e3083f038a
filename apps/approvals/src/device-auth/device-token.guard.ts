import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type Device, DeviceRegistry } from '@backchannel/directory';
import { bearerToken } from '@backchannel/http';

export type DeviceRequest = FastifyRequest & { device?: Device };

/** The device DeviceTokenGuard authenticated for this request. */
export function deviceOf(request: DeviceRequest): Device {
  if (!request.device) throw new Error('DeviceTokenGuard did not run');
  return request.device;
}

/**
 * `Authorization: Bearer <device_token>`: the device, and its user, the only one it may act for.
 * A device token lists the user's requests; whether it may also answer is the device's answer door.
 */
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
