/** RFC 8725 §3.11 and RFC 7515 §4.1.9: media types compare case-insensitively, `application/` optional. */
export function sameTyp(actual: string, expected: string): boolean {
  const normal = (typ: string) => typ.toLowerCase().replace(/^application\//, '');
  return normal(actual) === normal(expected);
}
