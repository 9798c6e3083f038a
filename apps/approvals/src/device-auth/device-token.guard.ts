import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type Device, DeviceRegistry } from '@backchannel/directory';
import { FailedAuthenticationLimit, bearerToken } from '@backchannel/http';

export type DeviceRequest = FastifyRequest & { device?: Device };

/** The device DeviceTokenGuard authenticated for this request. */
export function deviceOf(request: DeviceRequest): Device {
  if (!request.device) throw new Error('DeviceTokenGuard did not run');
  return request.device;
}

/**
 * `Authorization: Bearer <device_token>`: the device, and its user, the only one it may act for.
 * A device token lists the user's requests; whether it may also answer is the device's answer door.
 * An address that keeps failing is refused for a while (FailedAuthenticationLimit), at the device
 * API and the authenticator's routes alike.
 */
@Injectable()
export class DeviceTokenGuard implements CanActivate {
  constructor(
    private readonly devices: DeviceRegistry,
    private readonly limit: FailedAuthenticationLimit,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DeviceRequest>();
    const device = await this.limit.authenticate(request, 'device', async () => {
      const token = bearerToken(request.headers.authorization);
      return token === null ? null : await this.devices.authenticate(token);
    });
    if (!device) throw new UnauthorizedException('A valid device bearer token is required.');
    request.device = device;
    return true;
  }
}
