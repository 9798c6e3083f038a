/** The standard OpenID Connect scopes in the words the authenticator shows the user. */
const SCOPE_WORDING: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are',
  profile: 'Your name and profile',
  email: 'Your email address',
  phone: 'Your phone number',
  address: 'Your postal address',
  offline_access: 'Keep access when you are not using it',
};

/** A scope in plain words; a scope we have no words for is shown as it was requested. */
export function describeScope(scope: string): string {
  return Object.hasOwn(SCOPE_WORDING, scope) ? SCOPE_WORDING[scope]! : scope;
}
