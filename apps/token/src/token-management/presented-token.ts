import { type FormParameters, requiredParameter } from '@backchannel/oauth';
import type { TokenTypeHint } from './issued-tokens.js';

/** The `token` and `token_type_hint` of an introspection or revocation request; an unknown hint is ignored (RFC 7009 §2.1). */
export function presentedToken(params: FormParameters): { token: string; hint: TokenTypeHint | null } {
  const token = requiredParameter(params, 'token');
  const hint = params.get('token_type_hint');
  return { token, hint: hint === 'access_token' || hint === 'refresh_token' ? hint : null };
}
