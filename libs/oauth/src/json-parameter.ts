import type { OAuthError } from './oauth-errors.js';

/**
 * A request parameter whose value is JSON (`claims`, `authorization_details`): parsed, with its
 * length capped first; an over-long or malformed value is the parameter's own OAuth error.
 */
export function parseJsonParameter(
  name: string,
  value: string,
  maxLength: number,
  errorOf: (description: string) => OAuthError,
): unknown {
  if (value.length > maxLength) throw errorOf(`The ${name} parameter is longer than ${maxLength} characters.`);
  try {
    return JSON.parse(value);
  } catch {
    throw errorOf(`The ${name} parameter is not valid JSON.`);
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
