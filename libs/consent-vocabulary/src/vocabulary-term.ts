import { AUTHORIZATION_DETAILS_TYPE, RESERVED_SCOPES, SCOPE_TOKEN, hasDisguisingCharacters } from '@backchannel/oauth';
import { z } from 'zod';

/**
 * What the user is asked to consent to, beyond the scopes the server words itself: the scopes of
 * APIs, and the types of RFC 9396 authorization details.
 */
export type VocabularyKind = 'scope' | 'authorization_detail_type';

/** An API scope or an authorization detail type, with the plain words the user is shown for it. */
export interface VocabularyTerm {
  kind: VocabularyKind;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

/** The input breaks a rule of the vocabulary; the admin API answers 400. */
export class VocabularyValidationError extends Error {
  override readonly name = 'VocabularyValidationError';
}

/** The term is still listed in registered clients' metadata, so its words are still needed (409). */
export class VocabularyTermInUseError extends Error {
  override readonly name = 'VocabularyTermInUseError';

  constructor(readonly clients: number) {
    super(`${clients} registered client${clients === 1 ? ' lists' : 's list'} it`);
  }
}

/** As long as a type may be (AUTHORIZATION_DETAILS_TYPE), for API scopes too. */
const MAX_NAME_LENGTH = 64;
const MAX_DESCRIPTION_CODE_POINTS = 200;

/** Throws VocabularyValidationError unless `name` is a term of `kind` that can be given words. */
export function assertDefinableName(kind: VocabularyKind, name: string): void {
  switch (kind) {
    case 'scope':
      if (!SCOPE_TOKEN.test(name) || name.length > MAX_NAME_LENGTH) {
        throw new VocabularyValidationError(
          `an API scope must be a scope token (RFC 6749 section 3.3) of at most ${MAX_NAME_LENGTH} characters`,
        );
      }
      if (RESERVED_SCOPES.includes(name)) {
        throw new VocabularyValidationError(`${name} is a standard scope: the server words it itself`);
      }
      return;
    case 'authorization_detail_type':
      if (!AUTHORIZATION_DETAILS_TYPE.test(name)) {
        throw new VocabularyValidationError(
          `an authorization detail type must be 1 to ${MAX_NAME_LENGTH} printable ASCII characters without spaces`,
        );
      }
      return;
    default:
      throw new Error(`unknown vocabulary kind ${kind satisfies never}`);
  }
}

const definition = z.object(
  {
    description: z
      .string({ error: 'description is required and must be a string' })
      .trim()
      .refine(
        (description) => description.length > 0 && [...description].length <= MAX_DESCRIPTION_CODE_POINTS,
        `description must be 1 to ${MAX_DESCRIPTION_CODE_POINTS} characters`,
      )
      // shown to the user as the words of what they consent to, as a binding message is
      .refine(
        (description) => !hasDisguisingCharacters(description),
        'description must not contain control, bidirectional or invisible formatting characters',
      ),
  },
  { error: 'the body must be a JSON object with a description' },
);

/** The description of a body `{ description }`: plain words, one line, 1 to 200 characters. */
export function parseDescription(input: unknown): string {
  const parsed = definition.safeParse(input);
  if (!parsed.success) throw new VocabularyValidationError(parsed.error.issues[0]!.message);
  return parsed.data.description;
}
