import { type KeyObject, createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const USER_PRESENT = 0x01;
const USER_VERIFIED = 0x04;
const ATTESTED_CREDENTIAL_DATA = 0x40;

/** COSE key parameters (RFC 9053): an EC2 P-256 key for ES256. */
const COSE = { kty: 1, alg: 3, crv: -1, x: -2, y: -3, EC2: 2, ES256: -7, P256: 1 } as const;

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/**
 * A passkey authenticator in software, for tests: an ES256 key pair made with node:crypto, and
 * the registration (attestation "none") and assertion responses a browser would return, built by
 * hand as WebAuthn defines them: authenticatorData = SHA-256(rpId) | flags | counter
 * (| AAGUID | credential id length | credential id | COSE public key, when registering), and the
 * signature over authenticatorData | SHA-256(clientDataJSON).
 */
export class SoftwareAuthenticator {
  readonly credentialId = base64url(randomBytes(16));
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private counter = 0;

  constructor(
    private readonly rpId: string,
    private readonly origin: string,
    private readonly options: { userVerified: boolean } = { userVerified: true },
  ) {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  }

  /** navigator.credentials.create() for the options' challenge. */
  register(options: PublicKeyCredentialCreationOptionsJSON): RegistrationResponseJSON {
    const clientDataJSON = this.clientData('webauthn.create', options.challenge);
    const authData = Buffer.concat([
      this.authenticatorData(ATTESTED_CREDENTIAL_DATA),
      Buffer.alloc(16), // AAGUID: none
      Buffer.from([0, 16]),
      Buffer.from(this.credentialId, 'base64url'),
      this.coseKey(),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]) as Parameters<typeof isoCBOR.encode>[0],
    );
    return this.credential({
      clientDataJSON: base64url(clientDataJSON),
      attestationObject: base64url(attestationObject),
      transports: ['internal'],
    });
  }

  /** navigator.credentials.get(): an assertion over `challenge` (base64url), counting up like a real authenticator. */
  assert(challenge: string, origin = this.origin): AuthenticationResponseJSON {
    this.counter += 1;
    const clientDataJSON = this.clientData('webauthn.get', challenge, origin);
    const authenticatorData = this.authenticatorData(0);
    const signed = Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]);
    return this.credential({
      clientDataJSON: base64url(clientDataJSON),
      authenticatorData: base64url(authenticatorData),
      signature: base64url(sign('sha256', signed, this.privateKey)),
    });
  }

  /** The PublicKeyCredential as JSON (what @simplewebauthn/browser sends) around an authenticator response. */
  private credential<Response>(response: Response) {
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key' as const,
      response,
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }

  private clientData(type: string, challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  private authenticatorData(extraFlags: number): Buffer {
    const flags = USER_PRESENT | (this.options.userVerified ? USER_VERIFIED : 0) | extraFlags;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([createHash('sha256').update(this.rpId).digest(), Buffer.from([flags]), counter]);
  }

  private coseKey(): Uint8Array {
    const { x, y } = this.publicKey.export({ format: 'jwk' });
    return isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [COSE.kty, COSE.EC2],
        [COSE.alg, COSE.ES256],
        [COSE.crv, COSE.P256],
        [COSE.x, new Uint8Array(Buffer.from(x!, 'base64url'))],
        [COSE.y, new Uint8Array(Buffer.from(y!, 'base64url'))],
      ]),
    );
  }
}
