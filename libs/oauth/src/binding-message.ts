import { hasDisguisingCharacters } from './displayable-text.js';
import { InvalidBindingMessage } from './oauth-errors.js';

const MAX_BINDING_MESSAGE_CODE_POINTS = 256;

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
  if (hasDisguisingCharacters(message)) {
    throw new InvalidBindingMessage(
      'The binding_message contains control, bidirectional or invisible formatting characters.',
    );
  }
}
