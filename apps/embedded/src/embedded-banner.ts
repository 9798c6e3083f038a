import type { DemoCredentials } from './demo-seed.js';

/** What `npm start` prints: where it runs, the admin token, and a poll flow to paste into a shell. */
export function embeddedBanner(
  issuer: string,
  adminToken: string,
  demo: DemoCredentials,
  enrolmentUrl: string,
): string {
  const header = [
    '',
    `Backchannel is running (embedded profile) at ${issuer}`,
    `  admin token:  ${adminToken}`,
    `  discovery:    curl ${issuer}/.well-known/openid-configuration`,
    '',
  ];
  if (demo.client === null) {
    return [
      ...header,
      'The FAPI-CIBA profile is on (BACKCHANNEL_FAPI_CIBA): no demo client, as no client may use a secret.',
      'Register one with its certificate and request-signing key as the README shows ("FAPI-CIBA");',
      `the demo user is ${demo.loginHint}, her device token ${demo.deviceToken}.`,
      '',
    ].join('\n');
  }
  const basic = `${demo.client.clientId}:${demo.client.clientSecret}`;
  return [
    ...header,
    'Try a CIBA poll flow with the demo client and the demo user (alice) and her device:',
    `  # 1. the client asks for consent`,
    `  curl -s -u '${basic}' -d scope=openid -d login_hint=${demo.loginHint} -d binding_message=W4SX ${issuer}/bc-authorize`,
    `  # 2. the device lists what is pending (note the request_id)`,
    `  curl -s -H 'Authorization: Bearer ${demo.deviceToken}' ${issuer}/device/v1/requests`,
    `  # 3. the user approves`,
    `  curl -s -X POST -H 'Authorization: Bearer ${demo.deviceToken}' -H 'Content-Type: application/json' \\`,
    `       -d '{"decision":"approve"}' ${issuer}/device/v1/requests/<request_id>/decision`,
    `  # 4. the client polls for its tokens`,
    `  curl -s -u '${basic}' -d grant_type=urn:openid:params:grant-type:ciba -d auth_req_id=<auth_req_id> ${issuer}/token`,
    '',
    `Or approve with a passkey in the built-in authenticator: open this one-time link in a browser`,
    `(valid for ENROLMENT_CODE_TTL_SECONDS; a new one is printed at each start), then run step 1 again:`,
    `  ${enrolmentUrl}`,
    '',
  ].join('\n');
}
