import { hkdfSync } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { compactDecrypt, CompactEncrypt } from 'jose';
import { SIGNING_KEY_OPTIONS, type SigningKeyOptions } from './signing-keys.service.js';

/** HKDF `info`: a key of its own for sealed payloads, so it never doubles as the signing-key KEK. */
const SEALING_KEY_INFO = 'backchannel sealed payloads v1';

/** Raised when a sealed payload cannot be opened: another key, another binding, or tampering. */
export class SealedPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedPayloadError';
  }
}

/**
 * Seals small secrets that must travel through the event store and Kafka (auth_req_id,
 * client_notification_token, pushed tokens): JWE compact, dir + A256GCM, with a key derived from
 * the key-encryption key. `boundTo` (a stream id) sits in the authenticated protected header, so a
 * sealed value copied into another stream does not open there.
 */
@Injectable()
export class PayloadSealer {
  private readonly key: Uint8Array;

  constructor(@Inject(SIGNING_KEY_OPTIONS) options: Pick<SigningKeyOptions, 'keyEncryptionKey'>) {
    this.key = new Uint8Array(hkdfSync('sha256', options.keyEncryptionKey, new Uint8Array(0), SEALING_KEY_INFO, 32));
  }

  seal(payload: unknown, boundTo: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'json', bnd: boundTo })
      .encrypt(this.key);
  }

  async open<T>(sealed: string, boundTo: string): Promise<T> {
    let opened: Awaited<ReturnType<typeof compactDecrypt>>;
    try {
      opened = await compactDecrypt(sealed, this.key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
    } catch (error) {
      throw new SealedPayloadError(`the sealed payload does not open with this key: ${(error as Error).name}`);
    }
    if (opened.protectedHeader['bnd'] !== boundTo) {
      throw new SealedPayloadError('the sealed payload belongs to another stream');
    }
    return JSON.parse(new TextDecoder().decode(opened.plaintext)) as T;
  }
}
