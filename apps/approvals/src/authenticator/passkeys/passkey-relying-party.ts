import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { z } from 'zod';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import type { User } from '@backchannel/directory';

/** A registered passkey, as kept in webauthn_credentials. */
export interface Passkey {
  credentialId: string;
  deviceId: string;
  subject: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
}

/** A passkey just registered, before it is stored with its device. */
export type NewPasskey = Pick<Passkey, 'credentialId' | 'publicKey' | 'counter' | 'transports'>;

/** A verified assertion: who signed, and what the authenticator reported. */
export interface VerifiedAssertion {
  userVerified: boolean;
  newCounter: number;
}

/** A registration or assertion the browser produced; its contents are checked by @simplewebauthn/server. */
export const passkeyResponseSchema = z.looseObject({
  id: z.string().min(1).max(1366),
  rawId: z.string(),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: z.string() }),
  clientExtensionResults: z.looseObject({}).default({}),
});

/**
 * Why a registration or an assertion was refused, for the log only: the library's words may name
 * the expected challenge, so callers answer in fixed words of their own.
 */
export class PasskeyVerificationError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PasskeyVerificationError';
  }
}

const logger = new Logger('PasskeyRelyingParty');

/** A check by @simplewebauthn/server that throws on malformed input: every failure is a refusal. */
async function verified<T>(check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'malformed response';
    logger.debug(`passkey refused: ${reason}`);
    throw new PasskeyVerificationError(reason);
  }
}

/**
 * The authenticator as a WebAuthn relying party (@simplewebauthn/server), with the RP id, name and
 * origins of the configuration. User verification is preferred, not required: whether it happened
 * is recorded as evidence (and decides `acr`), so devices without a PIN or biometrics still work.
 */
@Injectable()
export class PasskeyRelyingParty {
  private readonly relyingParty: BackchannelConfig['webAuthn'];

  constructor(@Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig) {
    this.relyingParty = config.webAuthn;
  }

  registrationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const userName = user.username ?? user.email ?? user.subject;
    return generateRegistrationOptions({
      rpName: this.relyingParty.rpName,
      rpID: this.relyingParty.rpId,
      userName,
      userDisplayName: user.name ?? userName,
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  async verifyRegistration(response: RegistrationResponseJSON, expectedChallenge: string): Promise<NewPasskey> {
    const result = await verified(() =>
      verifyRegistrationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.relyingParty.origins,
        expectedRPID: this.relyingParty.rpId,
        requireUserVerification: false,
      }),
    );
    if (!result.verified) throw new PasskeyVerificationError('the registration could not be verified');
    const { credential } = result.registrationInfo;
    return {
      credentialId: credential.id,
      publicKey: credential.publicKey,
      counter: credential.counter,
      transports: credential.transports ?? [],
    };
  }

  /** `userVerification` required when the request's acr_values accept nothing weaker (phr). */
  authenticationOptions(
    challenge: Uint8Array,
    passkeys: Passkey[],
    userVerification: 'required' | 'preferred' = 'preferred',
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.relyingParty.rpId,
      challenge: new Uint8Array(challenge),
      allowCredentials: passkeys.map(({ credentialId, transports }) => ({ id: credentialId, transports })),
      userVerification,
    });
  }

  async verifyAssertion(
    response: AuthenticationResponseJSON,
    expectedChallenge: Uint8Array,
    passkey: Passkey,
  ): Promise<VerifiedAssertion> {
    const result = await verified(() =>
      verifyAuthenticationResponse({
        response,
        expectedChallenge: Buffer.from(expectedChallenge).toString('base64url'),
        expectedOrigin: this.relyingParty.origins,
        expectedRPID: this.relyingParty.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: passkey.counter,
          transports: passkey.transports,
        },
        requireUserVerification: false,
      }),
    );
    if (!result.verified) throw new PasskeyVerificationError('the signature does not verify');
    return { userVerified: result.authenticationInfo.userVerified, newCounter: result.authenticationInfo.newCounter };
  }
}
