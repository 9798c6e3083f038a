/** RFC 6749 §5.2: error_description may only use %x20-21 / %x23-5B / %x5D-7E. */
const ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;
const OUTSIDE_ERROR_DESCRIPTION = / *[^\x20-\x21\x23-\x5B\x5D-\x7E]+ */g;
const MAX_ERROR_DESCRIPTION_LENGTH = 300;

export function isValidErrorDescription(text: string): boolean {
  return ERROR_DESCRIPTION.test(text);
}

/**
 * Makes any text usable as an error_description: double quotes become single quotes, every other
 * run of characters outside the allowed set (backslashes, line breaks, non-ASCII) becomes one
 * space with the spaces around it, and the result is trimmed to a bounded length.
 */
export function toErrorDescription(text: string, maxLength = MAX_ERROR_DESCRIPTION_LENGTH): string {
  return text.replaceAll('"', "'").replace(OUTSIDE_ERROR_DESCRIPTION, ' ').slice(0, maxLength).trim();
}
