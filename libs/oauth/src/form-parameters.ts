import { InvalidRequest, InvalidTarget } from './oauth-errors.js';
import { toErrorDescription } from './error-description.js';

/** Request parameters by name; each name appears once, and never with an empty value. */
export type FormParameters = ReadonlyMap<string, string>;

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/**
 * RFC 8707 §2: `resource` may be sent more than once. Its values are absolute URIs, which hold no
 * space, so they are kept space-delimited, as scope's are; a value with a space is refused here,
 * while the values are still apart.
 */
const REPEATABLE_PARAMETERS: ReadonlySet<string> = new Set(['resource']);
const MAX_NAME_IN_DESCRIPTION = 64;

/**
 * application/x-www-form-urlencoded body -> parameters. A parameter sent twice -> InvalidRequest
 * naming it, except the repeatable ones (space-delimited then). Parameters with an empty value are treated as omitted (RFC 6749 §3.1), so they
 * neither count as present nor as a repetition.
 */
export function parseFormBody(body: string): FormParameters {
  const parameters = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (value === '') continue;
    if (REPEATABLE_PARAMETERS.has(name)) {
      repeated.set(name, [...(repeated.get(name) ?? []), value]);
      continue;
    }
    if (parameters.has(name)) {
      const shownName = toErrorDescription(name, MAX_NAME_IN_DESCRIPTION);
      throw new InvalidRequest(
        shownName ? `The ${shownName} parameter was sent more than once.` : 'A parameter was sent more than once.',
      );
    }
    parameters.set(name, value);
  }
  for (const [name, values] of repeated) parameters.set(name, repeatedValues(name, values));
  return parameters;
}

/**
 * The values of a repeatable parameter (`resource`) as one space-delimited value, the form the
 * parsers read; a value holding a space would be split apart, so it is refused.
 */
export function repeatedValues(name: string, values: readonly string[]): string {
  if (values.some((value) => /\s/.test(value))) {
    throw new InvalidTarget(`A ${name} value must be an absolute URI, without spaces.`);
  }
  return values.join(' ');
}

/** Throws InvalidRequest unless the Content-Type is application/x-www-form-urlencoded (charset param allowed). */
export function assertFormUrlEncoded(contentType: string | undefined): void {
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType !== FORM_MEDIA_TYPE) {
    throw new InvalidRequest(`The request content type must be ${FORM_MEDIA_TYPE}.`);
  }
}

/** The value of a required parameter; its absence is an InvalidRequest naming it. */
export function requiredParameter(parameters: FormParameters, name: string): string {
  const value = parameters.get(name);
  if (value === undefined) throw new InvalidRequest(`The ${name} parameter is required.`);
  return value;
}

/** The values of a space-delimited parameter (scope, acr_values); repeated spaces are tolerated. */
export function spaceDelimitedValues(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(' ').filter((item) => item !== '');
}
