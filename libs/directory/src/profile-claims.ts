import { hasDisguisingCharacters } from '@backchannel/oauth';
import { z } from 'zod';

/** OIDC Core §5.1.1: a postal address; each member optional. */
export interface PostalAddress {
  formatted?: string;
  street_address?: string;
  locality?: string;
  region?: string;
  postal_code?: string;
  country?: string;
}

/**
 * The OIDC Core §5.1 standard claims the directory keeps beside the user's identifiers and name,
 * by their OIDC names; a claim the user does not have is absent.
 */
export interface ProfileClaims {
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  nickname?: string;
  profile?: string;
  picture?: string;
  website?: string;
  gender?: string;
  /** YYYY, or YYYY-MM-DD. */
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  email_verified?: boolean;
  phone_number_verified?: boolean;
  address?: PostalAddress;
}

/** Identifiers are matched verbatim against hints, so nothing invisible or ambiguous may hide in them (nor in a URL). */
const NO_WHITESPACE_OR_CONTROL = /^[^\s\p{Cc}]*$/u;
/** Text a person reads: well-formed Unicode (no lone surrogate) and no control character. */
const READABLE_TEXT = /^[^\p{Cc}\p{Cs}]*$/u;
/** As READABLE_TEXT, where OIDC allows several lines (§5.1.1: separated by "\r\n" or "\n"). */
const READABLE_LINES = /^(?:[^\p{Cc}\p{Cs}]|\r?\n)*$/u;
/** OIDC Core §5.1: the year alone, or a full date. */
const BIRTHDATE = /^[0-9]{4}(?:-[0-9]{2}-[0-9]{2})?$/;
/** A zoneinfo database name (Europe/Paris), not an offset, which the time zone API also takes. */
const ZONEINFO_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;
const URL_MAX_LENGTH = 2048;

/** A trimmed, non-empty text claim of at most `max` characters. */
export function text(claim: string, max: number, lines = READABLE_TEXT) {
  const readable = z
    .string({ error: `${claim} must be a string` })
    .trim()
    .min(1, `${claim} must not be empty`)
    .max(max, `${claim} must be at most ${max} characters`)
    .regex(lines, `${claim} must be well-formed Unicode without control characters`);
  // one line is shown as the binding message is: nothing may hide, fake or reorder it
  return lines === READABLE_TEXT
    ? readable.refine((value) => !hasDisguisingCharacters(value), {
        error: `${claim} must not contain bidirectional or invisible formatting characters`,
      })
    : readable;
}

/** A claim that is a web page or an image the user's agent fetches: an absolute https URL. */
function httpsUrl(claim: string) {
  return z
    .string({ error: `${claim} must be a string` })
    .max(URL_MAX_LENGTH, `${claim} must be at most ${URL_MAX_LENGTH} characters`)
    .refine((value) => NO_WHITESPACE_OR_CONTROL.test(value) && URL.canParse(value) && value.startsWith('https://'), {
      error: `${claim} must be an absolute https URL`,
    });
}

function verified(claim: string) {
  return z.boolean({ error: `${claim} must be true or false` });
}

const postalAddress = z.object(
  {
    formatted: text('address.formatted', 500, READABLE_LINES).optional(),
    street_address: text('address.street_address', 300, READABLE_LINES).optional(),
    locality: text('address.locality', 100).optional(),
    region: text('address.region', 100).optional(),
    postal_code: text('address.postal_code', 20).optional(),
    country: text('address.country', 100).optional(),
  },
  { error: 'address must be a JSON object' },
);

/** Each profile claim's rule (OIDC Core §5.1); null, like absence, means the user has no such claim. */
export const profileClaims = {
  given_name: text('given_name', 100).nullish(),
  family_name: text('family_name', 100).nullish(),
  middle_name: text('middle_name', 100).nullish(),
  nickname: text('nickname', 100).nullish(),
  profile: httpsUrl('profile').nullish(),
  picture: httpsUrl('picture').nullish(),
  website: httpsUrl('website').nullish(),
  gender: text('gender', 50).nullish(),
  birthdate: z
    .string({ error: 'birthdate must be a string' })
    .refine(isBirthdate, { error: 'birthdate must be a date as YYYY-MM-DD, or a year as YYYY' })
    .nullish(),
  zoneinfo: z
    .string({ error: 'zoneinfo must be a string' })
    .max(64, 'zoneinfo must be at most 64 characters')
    .refine((zone) => ZONEINFO_NAME.test(zone) && canonicalTimeZone(zone) !== null, {
      error: 'zoneinfo must be a time zone database name, such as Europe/Paris',
    })
    // one spelling of each zone, as the time zone database writes it
    .transform((zone) => canonicalTimeZone(zone)!)
    .nullish(),
  locale: z
    .string({ error: 'locale must be a string' })
    .max(35, 'locale must be at most 35 characters')
    .refine((locale) => canonicalLocale(locale) !== null, {
      error: 'locale must be a BCP 47 language tag, such as en-US',
    })
    .transform((locale) => canonicalLocale(locale)!)
    .nullish(),
  email_verified: verified('email_verified').nullish(),
  phone_number_verified: verified('phone_number_verified').nullish(),
  // an address without any member is no address
  address: postalAddress.transform((address) => (Object.keys(address).length === 0 ? null : address)).nullish(),
} satisfies Record<keyof ProfileClaims, z.ZodType>;

/** The profile claims the directory keeps (its columns of the same names). */
export const PROFILE_CLAIM_NAMES = Object.keys(profileClaims) as readonly (keyof ProfileClaims)[];

function isBirthdate(value: string): boolean {
  if (!BIRTHDATE.test(value)) return false;
  // a real day of the calendar: no 2001-02-29 (the year 0000 stands for a year not given)
  const day = Date.parse(`${value}T00:00:00Z`);
  return value.length === 4 || (!Number.isNaN(day) && new Date(day).toISOString().startsWith(value));
}

function canonicalTimeZone(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

function canonicalLocale(locale: string): string | null {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? null;
  } catch {
    return null;
  }
}
