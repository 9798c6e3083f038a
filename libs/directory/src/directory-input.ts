import { z } from 'zod';
import { DirectoryValidationError } from './directory-errors.js';
import type { User } from './user.js';

/** Identifiers are matched verbatim against hints, so nothing invisible or ambiguous may hide in them. */
const NO_WHITESPACE_OR_CONTROL = /^[^\s\p{Cc}]*$/u;

const newUser = z.object(
  {
    sub: z
      .string({ error: 'sub is required and must be a string' })
      .min(1, 'sub must not be empty')
      .max(255, 'sub must be at most 255 characters')
      .regex(NO_WHITESPACE_OR_CONTROL, 'sub must not contain whitespace or control characters'),
    username: z
      .string({ error: 'username must be a string' })
      .min(1, 'username must not be empty')
      .max(64, 'username must be at most 64 characters')
      .regex(NO_WHITESPACE_OR_CONTROL, 'username must not contain whitespace or control characters')
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
    name: z
      .string({ error: 'name must be a string' })
      .trim()
      .min(1, 'name must not be empty')
      .max(200, 'name must be at most 200 characters')
      .nullish(),
  },
  { error: 'the user must be a JSON object' },
);

const newDevice = z.object(
  {
    name: z
      .string({ error: 'name is required and must be a string' })
      .trim()
      .min(1, 'name must not be empty')
      .max(100, 'name must be at most 100 characters'),
  },
  { error: 'the device must be a JSON object' },
);

/** The body of POST /admin/v1/users: `{ sub, username?, email?, phone_number?, name? }`. */
export function parseNewUser(input: unknown): User {
  const user = parse(newUser, input);
  return {
    subject: user.sub,
    username: user.username ?? null,
    email: user.email ?? null,
    phoneNumber: user.phone_number ?? null,
    name: user.name ?? null,
  };
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
