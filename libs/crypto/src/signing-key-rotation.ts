import type { SigningKeyRotation } from '@backchannel/config';

/**
 * How often a replica re-reads the signing keys. A next key is published for at least
 * SIGNING_KEY_PUBLISH_LEAD_SECONDS (600 s or more) before it signs, so every replica knows it
 * before then and switches to it at its activation, by its own clock.
 */
export const SIGNING_KEYS_REFRESH_SECONDS = 60;

/** Kept on top of a superseded key's publication: replicas' clocks differ by a little. */
const CLOCK_SKEW_SECONDS = 60;

/** When a stored key signs, and whether an operator retired it by hand. */
export interface ScheduledKey {
  kid: string;
  activatesAt: Date;
  /** Set by hand only (a compromised key): the key leaves the JWKS and signs no more from then. */
  retiredAt: Date | null;
}

/** The keys that are not retired by hand at `now`, the latest to sign first. */
function liveKeys<K extends ScheduledKey>(keys: readonly K[], now: Date): K[] {
  return keys
    .filter((key) => key.retiredAt === null || key.retiredAt > now)
    .sort((a, b) => b.activatesAt.getTime() - a.activatesAt.getTime() || a.kid.localeCompare(b.kid));
}

/** The key that signs at `now`: the last one activated; null when none has. */
export function signingKeyAt<K extends ScheduledKey>(keys: readonly K[], now: Date): K | null {
  return liveKeys(keys, now).find((key) => key.activatesAt <= now) ?? null;
}

/** The key published and yet to sign at `now`; null when none waits. */
export function nextKeyAt<K extends ScheduledKey>(keys: readonly K[], now: Date): K | null {
  const latest = liveKeys(keys, now)[0];
  return latest !== undefined && latest.activatesAt > now ? latest : null;
}

/**
 * The keys in the JWKS at `now`, the latest to sign first: the next key from its creation, before
 * it signs; the signing key; and each superseded key until its retirement.
 */
export function publishedKeysAt<K extends ScheduledKey>(
  keys: readonly K[],
  now: Date,
  rotation: Pick<SigningKeyRotation, 'longestTokenLifetimeSeconds'>,
): K[] {
  return liveKeys(keys, now).filter((key) => {
    const retirement = retirementOf(key, keys, now, rotation);
    return retirement === null || now < retirement;
  });
}

/**
 * When a key leaves the JWKS: once the last token it signed has expired, that is its successor's
 * activation plus the longest token lifetime. Null while no successor is known.
 */
export function retirementOf(
  key: ScheduledKey,
  keys: readonly ScheduledKey[],
  now: Date,
  rotation: Pick<SigningKeyRotation, 'longestTokenLifetimeSeconds'>,
): Date | null {
  const successor = liveKeys(keys, now)
    .filter((other) => other.activatesAt > key.activatesAt)
    .at(-1);
  if (successor === undefined) return null;
  const lifetimeMs = (rotation.longestTokenLifetimeSeconds + CLOCK_SKEW_SECONDS) * 1000;
  return new Date(successor.activatesAt.getTime() + lifetimeMs);
}

/**
 * When a new key must be added, to sign from the returned instant; null when none is due. The
 * first key signs at once (no token exists to verify), from CLOCK_SKEW_SECONDS back: a replica
 * that read its clock a little earlier, or runs a little behind, and finds the key another replica
 * added, sees it signing too. Any later one is published for the lead time first. One next key at
 * a time: while one waits, neither the schedule nor an operator's request (`requested`) adds another. Otherwise a key is due when the signing key has signed for
 * SIGNING_KEY_ROTATION_DAYS (0: only on request).
 */
export function nextKeyActivation(
  keys: readonly ScheduledKey[],
  now: Date,
  rotation: Pick<SigningKeyRotation, 'rotationDays' | 'publishLeadSeconds'>,
  requested: boolean,
): Date | null {
  if (nextKeyAt(keys, now) !== null) return null;
  const signing = signingKeyAt(keys, now);
  if (signing === null) return new Date(now.getTime() - CLOCK_SKEW_SECONDS * 1000);
  const due =
    rotation.rotationDays > 0 && now.getTime() >= signing.activatesAt.getTime() + rotation.rotationDays * 86_400_000;
  return requested || due ? new Date(now.getTime() + rotation.publishLeadSeconds * 1000) : null;
}
