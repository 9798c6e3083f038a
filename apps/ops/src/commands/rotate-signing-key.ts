import { keyEncryptionKeysFromEnvironment, signingKeyRotationFromEnvironment } from '@backchannel/config';
import { SigningKeys } from '@backchannel/crypto';
import { type ExitCode, type OpsContext, settingOf } from '../ops-context.js';

export const ROTATE_SIGNING_KEY_HELP = `usage: ops rotate-signing-key [--json]
  (run it with the services' settings: BACKCHANNEL_KEY_ENCRYPTION_KEY or _KEYS seals the new key,
   SIGNING_KEY_PUBLISH_LEAD_SECONDS, ACCESS_TOKEN_TTL_SECONDS, ID_TOKEN_TTL_SECONDS, AUTH_REQUEST_MAX_EXPIRY_SECONDS)

Adds the next token signing key now, whatever SIGNING_KEY_ROTATION_DAYS says. It is published in
the JWKS at once and signs SIGNING_KEY_PUBLISH_LEAD_SECONDS later, so that relying parties' cached
key sets know it first; the key it supersedes stays published until the last token it signed has
expired (the longest of the access token, ID token and request lifetimes), then is retired. The
services switch by themselves, within a minute of each moment. When a next key already waits, that
one is reported and none is added. Safe beside running services and other runs: replicas and
operators add one key between them.`;

export async function rotateSigningKey(context: OpsContext, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const keys = new SigningKeys(context.dataSource, {
    keyEncryptionKeys: settingOf(keyEncryptionKeysFromEnvironment, env, 'The key-encryption keys seal the new key.'),
    signingKeys: settingOf(signingKeyRotationFromEnvironment, env, 'The services read the same settings.'),
  });
  const next = await keys.rotate(new Date());
  if (context.json) {
    context.out(JSON.stringify(next));
    return 0;
  }
  const signs = `signs from ${next.activatesAt.toISOString()}`;
  context.out(
    next.created ? `signing key ${next.kid} published, ${signs}` : `signing key ${next.kid} already waits, ${signs}`,
  );
  if (next.supersedes) {
    context.out(`signing key ${next.supersedes.kid} stays published until ${next.supersedes.retiresAt.toISOString()}`);
  }
  return 0;
}
