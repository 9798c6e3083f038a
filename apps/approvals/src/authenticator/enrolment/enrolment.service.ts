import { BadRequestException, ConflictException, Inject, Injectable } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { z } from 'zod';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { randomToken, sha256Hex } from '@backchannel/crypto';
import {
  DeviceRegistry,
  type LifecycleContext,
  TooManyDevicesError,
  UnknownUserError,
  UserDirectory,
  lifecycleMetadata,
} from '@backchannel/directory';
import { PostgresEventStore } from '@backchannel/event-store';
import { type EnrolmentIssued, type NewEvent, userStreamId } from '@backchannel/events';
import { FailedAuthenticationLimit } from '@backchannel/http';
import {
  PasskeyRelyingParty,
  PasskeyVerificationError,
  passkeyResponseSchema,
} from '../passkeys/passkey-relying-party.js';
import { PasskeysRepository } from '../passkeys/passkeys.repository.js';
import { parseBody } from '../request-body.js';
import { EnrolmentCodesRepository, type OpenEnrolment } from './enrolment-codes.repository.js';

/** What an admin hands to the user: the code, the link that redeems it, and the link as a QR code. */
export interface Enrolment {
  code: string;
  url: string;
  expiresAt: Date;
  qrSvg: string;
}

/** The device the enrolment created; its token is shown this once. */
export interface EnrolledDevice {
  deviceId: string;
  deviceToken: string;
}

const enrolmentCode = z.string().min(1).max(128);

const optionsRequestSchema = z.strictObject({ code: enrolmentCode });

const verifyRequestSchema = z.strictObject({
  code: enrolmentCode,
  response: passkeyResponseSchema,
  /** Same bounds as the directory's device names. */
  device_name: z.string().trim().min(1).max(100).optional(),
});

/** The name of an enrolled device when the page gives none. */
const DEFAULT_DEVICE_NAME = 'Authenticator';

function invalidCode(): BadRequestException {
  return new BadRequestException('The enrolment code is unknown, used or expired: ask for a new one.');
}

/**
 * Enrolment of a device in the built-in authenticator: an admin creates a one-time code for a
 * user; the device redeems it by registering a passkey, which creates the device (and its token)
 * for that user. The code is single use and expires after ENROLMENT_CODE_TTL_SECONDS; a failed
 * registration leaves it open, so the user can try again. The code is a credential like a device
 * token: an unknown one counts against the caller's address, on the device surface
 * (FailedAuthenticationLimit).
 */
@Injectable()
export class EnrolmentService {
  constructor(
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
    private readonly store: PostgresEventStore,
    private readonly users: UserDirectory,
    private readonly devices: DeviceRegistry,
    private readonly codes: EnrolmentCodesRepository,
    private readonly passkeys: PasskeysRepository,
    private readonly relyingParty: PasskeyRelyingParty,
    private readonly limit: FailedAuthenticationLimit,
  ) {}

  /**
   * A new code for the user, recorded (EnrolmentIssued: when it expires, never the code) with the
   * actor in the same transaction; UnknownUserError when there is no such user.
   */
  async create(subject: string, context: LifecycleContext): Promise<Enrolment> {
    if (!(await this.users.findBySubject(subject))) throw new UnknownUserError(subject);
    const code = randomToken(32);
    const expiresAt = new Date(context.now.getTime() + this.config.webAuthn.enrolmentTtlSeconds * 1000);
    const event: NewEvent<EnrolmentIssued> = {
      type: 'EnrolmentIssued',
      schemaVersion: 1,
      data: { subject, expiresAt: expiresAt.toISOString(), issuedAt: context.now.toISOString() },
      metadata: lifecycleMetadata(context),
    };
    await this.store.transaction(async (tx) => {
      await this.codes.create(sha256Hex(code), subject, expiresAt, tx);
      await tx.appendToStream(userStreamId(subject), 'any', [event]);
    });
    // In the fragment, the code never reaches a server log or a Referer header.
    const url = `${this.config.issuer}/authenticator/#/enrol/${code}`;
    const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { code, url, expiresAt, qrSvg };
  }

  /** Registration options for the code's user; the challenge is kept with the code. */
  async registrationOptions(request: FastifyRequest, now: Date): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { code } = parseBody(optionsRequestSchema, request.body, '{"code": "<enrolment code>"}');
    const { subject } = await this.openEnrolment(request, code, now);
    const user = await this.users.findBySubject(subject);
    if (!user) throw invalidCode();
    const options = await this.relyingParty.registrationOptions(user);
    if (!(await this.codes.setRegistrationChallenge(sha256Hex(code), options.challenge, now))) throw invalidCode();
    return options;
  }

  /**
   * Verifies the registration against the kept challenge, then uses the code up and creates the
   * device with its passkey, recorded (DeviceRegistered) with the device itself as the actor: it
   * proved the code and now holds the passkey (the correlation id is the request's).
   */
  async register(request: FastifyRequest, now: Date): Promise<EnrolledDevice> {
    const body = parseBody(
      verifyRequestSchema,
      request.body,
      '{"code": "<enrolment code>", "response": <the registration response>, "device_name"?: "<name>"}',
    );
    const challenge = (await this.openEnrolment(request, body.code, now)).registrationChallenge;
    if (challenge === null) throw new BadRequestException('Ask for the registration options first.');
    const passkey = await this.relyingParty
      .verifyRegistration(body.response as unknown as RegistrationResponseJSON, challenge)
      .catch((error: unknown) => {
        if (error instanceof PasskeyVerificationError) {
          throw new BadRequestException('The passkey registration could not be verified.');
        }
        throw error;
      });
    // one transaction: the code is used up exactly when its device and passkey exist (and kept
    // when the user already has the most devices allowed)
    return this.store
      .transaction(async (tx) => {
        const subject = await this.codes.redeem(sha256Hex(body.code), challenge, now, tx);
        if (subject === null) throw invalidCode();
        const name = body.device_name ?? DEFAULT_DEVICE_NAME;
        const device = await this.devices.registerDeviceIn(tx, subject, { name }, 'passkey', {
          // told nothing until the authenticator subscribes to Web Push: it lists its requests
          channel: 'device-api',
          context: (deviceId) => ({ actor: `device:${deviceId}`, correlationId: request.id, now }),
        });
        if (!(await this.passkeys.add(device.deviceId, subject, passkey, tx))) {
          throw new BadRequestException('This passkey is registered already.');
        }
        return device;
      })
      .catch((error: unknown) => {
        if (error instanceof TooManyDevicesError) throw new ConflictException(`Not enrolled: ${error.message}.`);
        throw error;
      });
  }

  private async openEnrolment(request: FastifyRequest, code: string, now: Date): Promise<OpenEnrolment> {
    const enrolment = await this.limit.authenticate(request, 'device', () => this.codes.findOpen(sha256Hex(code), now));
    if (!enrolment) throw invalidCode();
    return enrolment;
  }
}
