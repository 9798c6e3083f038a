/**
 * Emoji tag sequences (the subdivision flags, such as England's) are the one legitimate use of the
 * tag characters, which are otherwise invisible format characters.
 */
const EMOJI_TAG_SEQUENCE = /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]+\u{E007F}/gu;

/**
 * Characters that can hide, fake or reorder text on the user's screen: controls (Cc, tab and line
 * feed included: the text is shown as one line), line and paragraph separators (Zl, Zp), lone
 * surrogates (Cs) and format characters (Cf), which include the bidirectional controls U+061C,
 * U+200E, U+200F, U+202A-U+202E and U+2066-U+2069. The zero-width joiner U+200D is allowed because
 * emoji sequences need it; variation selectors are not Cf, so they pass as well.
 */
const DISGUISING_CHARACTER = /(?!\u200D)[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Whether a text shown to the user on one line (a binding message, the words of a scope) holds
 * control, bidirectional or invisible formatting characters, so it cannot be shown faithfully.
 */
export function hasDisguisingCharacters(text: string): boolean {
  return DISGUISING_CHARACTER.test(text.replace(EMOJI_TAG_SEQUENCE, ''));
}

/**
 * Characters no identifier may hold: whitespace, and everything hasDisguisingCharacters refuses,
 * the zero-width joiner included. An identifier (a user's `sub`, a username) is compared, never
 * read around, so `alice\u200b` or `\u202eecila` would only ever be a second account that looks
 * like the first.
 */
const NOT_IN_IDENTIFIERS = /[\s\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Whether `text` can be an identifier: see NOT_IN_IDENTIFIERS. */
export function isIdentifier(text: string): boolean {
  return text.length > 0 && !NOT_IN_IDENTIFIERS.test(text);
}
