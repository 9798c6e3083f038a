import { Inject, Injectable } from '@nestjs/common';
import { KeyRing } from './key-ring.js';
import { SIGNING_KEY_OPTIONS, type SigningKeyOptions } from './signing-keys.service.js';

/** HKDF `info`: keys of their own for sealed payloads, so none doubles as a key-encryption key. */
const SEALING_KEY_INFO = 'backchannel sealed payloads v1';

/**
 * Seals small secrets that must travel through the event store and Kafka (auth_req_id,
 * client_notification_token, pushed tokens) or sit in tables (client and webhook secrets): JWE
 * compact, dir + A256GCM, with keys derived from the key-encryption keys, the newest sealing.
 * `boundTo` (a stream id) sits in the authenticated protected header, so a sealed value copied
 * into another stream does not open there.
 */
@Injectable()
export class PayloadSealer {
  private readonly ring: KeyRing;

  constructor(@Inject(SIGNING_KEY_OPTIONS) options: Pick<SigningKeyOptions, 'keyEncryptionKeys'>) {
    this.ring = new KeyRing(options.keyEncryptionKeys).derived(SEALING_KEY_INFO);
  }

  seal(payload: unknown, boundTo: string): Promise<string> {
    return this.ring.seal(new TextEncoder().encode(JSON.stringify(payload)), 'json', boundTo);
  }

  /** Throws SealedPayloadError when the value does not open: its key left the ring, another binding, tampering. */
  async open<T>(sealed: string, boundTo: string): Promise<T> {
    return JSON.parse(new TextDecoder().decode(await this.ring.open(sealed, boundTo))) as T;
  }

  /** The payload sealed again under the newest key (`ops reseal`); null when it already is. */
  reseal(sealed: string): Promise<string | null> {
    return this.ring.reseal(sealed);
  }
}
