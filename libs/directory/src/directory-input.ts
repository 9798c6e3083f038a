import { z } from 'zod';
import { DirectoryValidationError } from './directory-errors.js';
import { isIdentifier } from '@backchannel/oauth';
import { profileClaims, text } from './profile-claims.js';
import { type NewUser, type User, userResponse } from './user.js';

const IDENTIFIER_RULE = (member: string) =>
  `${member} must be well-formed Unicode without whitespace, control, bidirectional or invisible characters`;

const newUser = z
  .object(
    {
      sub: z
        .string({ error: 'sub is required and must be a string' })
        .min(1, 'sub must not be empty')
        .max(255, 'sub must be at most 255 characters')
        .refine(isIdentifier, IDENTIFIER_RULE('sub')),
      username: z
        .string({ error: 'username must be a string' })
        .min(1, 'username must not be empty')
        .max(64, 'username must be at most 64 characters')
        .refine(isIdentifier, IDENTIFIER_RULE('username'))
        .nullish(),
      email: z
        .email({ error: 'email must be a valid e-mail address' })
        .max(254, 'email must be at most 254 characters')
        // Addresses are compared case-insensitively: store one form and look up in that form.
        .transform((email) => email.toLowerCase())
        .nullish(),
      phone_number: z
        .string({ error: 'phone_number must be a string' })
        .regex(/^\+[0-9]{7,15}$/, 'phone_number must be in E.164 format: + followed by 7 to 15 digits')
        .nullish(),
      name: text('name', 200).nullish(),
      ...profileClaims,
    },
    { error: 'the user must be a JSON object' },
  )
  // a verification says something of an address or number the user has
  .refine((user) => user.email_verified == null || user.email != null, {
    error: 'email_verified needs an email',
  })
  .refine((user) => user.phone_number_verified == null || user.phone_number != null, {
    error: 'phone_number_verified needs a phone_number',
  });

const newDevice = z.object(
  {
    name: text('name', 100),
  },
  { error: 'the device must be a JSON object' },
);

/**
 * The body of POST /admin/v1/users: `{ sub, username?, email?, phone_number?, name? }` and the
 * profile claims, by their OIDC names. Unknown members (the server-set `updated_at`, `disabled_at`)
 * are ignored.
 */
export function parseNewUser(input: unknown): NewUser {
  const { sub, username, email, phone_number, name, ...claims } = parse(newUser, input);
  return {
    subject: sub,
    username: username ?? null,
    email: email ?? null,
    phoneNumber: phone_number ?? null,
    name: name ?? null,
    claims: Object.fromEntries(Object.entries(claims).filter(([, value]) => value != null)),
  };
}

/** The admin API's members whose value is verified, each with the claim that says so. */
const VERIFICATION_OF = { email: 'email_verified', phone_number: 'phone_number_verified' } as const;
/** The admin API representation nests objects one level deep (address): no merge goes deeper. */
const MERGE_DEPTH = 2;

/**
 * The body of PATCH /admin/v1/users/{sub} (RFC 7396 merge patch) applied to the user: a member
 * replaces the user's, null removes it, address merges member by member; the result must be a
 * valid user, as at creation. `sub` cannot change; a new e-mail address or phone number is not
 * verified unless the update says so.
 */
export function parseUserUpdate(user: User, input: unknown): NewUser {
  if (!isJsonObject(input)) throw new DirectoryValidationError('the update must be a JSON object');
  if ('sub' in input && input.sub !== user.subject) throw new DirectoryValidationError('sub cannot be changed');
  const updated = mergePatch(userResponse(user), input) as Record<string, unknown>;
  for (const [member, verification] of Object.entries(VERIFICATION_OF)) {
    if (member in input && !(verification in input)) delete updated[verification];
  }
  return parseNewUser(updated);
}

/** The body of a device registration: `{ name }`. */
export function parseNewDevice(input: unknown): { name: string } {
  return parse(newDevice, input);
}

function parse<Output>(schema: z.ZodType<Output>, input: unknown): Output {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new DirectoryValidationError(parsed.error.issues[0]!.message);
  return parsed.data;
}

function mergePatch(target: unknown, patch: unknown, depth = 0): unknown {
  if (!isJsonObject(patch) || depth === MERGE_DEPTH) return patch;
  const merged: Record<string, unknown> = isJsonObject(target) ? { ...target } : {};
  for (const [member, value] of Object.entries(patch)) {
    if (value === null) delete merged[member];
    else merged[member] = mergePatch(merged[member], value, depth + 1);
  }
  return merged;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
