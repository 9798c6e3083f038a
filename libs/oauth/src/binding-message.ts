import { InvalidBindingMessage } from './oauth-errors.js';

const MAX_BINDING_MESSAGE_CODE_POINTS = 256;

/**
 * Emoji tag sequences (the subdivision flags, such as England's) are the one legitimate use of the
 * tag characters, which are otherwise invisible format characters.
 */
const EMOJI_TAG_SEQUENCE = /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]+\u{E007F}/gu;

/**
 * Characters that can hide, fake or reorder text on the user's screen: controls (Cc, tab and line
 * feed included: the message is shown as one line), line and paragraph separators (Zl, Zp), lone
 * surrogates (Cs) and format characters (Cf), which include the bidirectional controls U+061C,
 * U+200E, U+200F, U+202A-U+202E and U+2066-U+2069. The zero-width joiner U+200D is allowed because
 * emoji sequences need it; variation selectors are not Cf, so they pass as well.
 */
const DISGUISING_CHARACTER = /(?!\u200D)[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Whether a text the user is shown can be shown faithfully: nothing that hides, fakes or reorders it. */
export function isFaithfullyDisplayable(text: string): boolean {
  return !DISGUISING_CHARACTER.test(text.replace(EMOJI_TAG_SEQUENCE, ''));
}

/**
 * Throws InvalidBindingMessage when the message cannot be shown faithfully. The message itself is
 * kept exactly as sent: escaping it (HTML and so on) is the job of whatever displays it.
 */
export function assertDisplayableBindingMessage(message: string): void {
  if ([...message].length > MAX_BINDING_MESSAGE_CODE_POINTS) {
    throw new InvalidBindingMessage(
      `The binding_message is longer than ${MAX_BINDING_MESSAGE_CODE_POINTS} characters.`,
    );
  }
  if (!isFaithfullyDisplayable(message)) {
    throw new InvalidBindingMessage(
      'The binding_message contains control, bidirectional or invisible formatting characters.',
    );
  }
}
