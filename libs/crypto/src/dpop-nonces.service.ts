import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DpopNonceCheck } from './dpop-proof.js';
import { KeyRing } from './key-ring.js';
import { SIGNING_KEY_OPTIONS, type SigningKeyOptions } from './signing-keys.service.js';

/** A nonce is issued for a window of this length and accepted in it and the next one: 5 to 10 minutes. */
export const DPOP_NONCE_WINDOW_SECONDS = 300;

/** HKDF `info`: a key of its own for DPoP nonces, so it never doubles as another key derived from the KEK. */
const DPOP_NONCE_KEY_INFO = 'backchannel dpop nonces v1';

/**
 * The nonce key, derived from the newest key-encryption key; every replica with the same ring
 * derives the same one. (After a ring change, nonces issued before are refused once: `use_dpop_nonce`.)
 */
function dpopNonceKey(keyEncryptionKeys: SigningKeyOptions['keyEncryptionKeys']): Uint8Array {
  return new KeyRing(keyEncryptionKeys).derived(DPOP_NONCE_KEY_INFO).newest.key;
}

/**
 * Server-provided DPoP nonces (RFC 9449 §8 and §9) that need no shared state: the nonce of a time
 * window is the HMAC of the window's index, so every replica issues and accepts the same ones.
 * A client learns the current nonce from the `DPoP-Nonce` header and may use it until the next
 * window ends.
 */
@Injectable()
export class DpopNonces implements DpopNonceCheck {
  private readonly key: Uint8Array;

  constructor(@Inject(SIGNING_KEY_OPTIONS) options: Pick<SigningKeyOptions, 'keyEncryptionKeys'>) {
    this.key = dpopNonceKey(options.keyEncryptionKeys);
  }

  /** The nonce to send in `DPoP-Nonce`. */
  current(now: Date): string {
    return this.nonceOf(windowOf(now));
  }

  /** Whether a proof's nonce is that of the current or the previous window; in constant time. */
  isValid(nonce: string, now: Date): boolean {
    const presented = Buffer.from(nonce, 'utf8');
    const window = windowOf(now);
    // Both are compared, so the time taken does not tell which window matched.
    const matches = [window, window - 1].map((index) => {
      const expected = Buffer.from(this.nonceOf(index), 'utf8');
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    });
    return matches.includes(true);
  }

  private nonceOf(window: number): string {
    const index = Buffer.alloc(8);
    index.writeBigUInt64BE(BigInt(window));
    return createHmac('sha256', this.key).update(index).digest('base64url');
  }
}

function windowOf(now: Date): number {
  return Math.floor(now.getTime() / (DPOP_NONCE_WINDOW_SECONDS * 1000));
}
