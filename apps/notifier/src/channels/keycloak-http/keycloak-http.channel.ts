import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { TokenSigner, randomToken } from '@backchannel/crypto';
import type { DeliveryOutcome } from '@backchannel/delivery';
import { ChannelCallbackTokens, type SettingOf, keycloakChannelRequest } from '@backchannel/device-channels';
import { UserDirectory } from '@backchannel/directory';
import { EgressHttpClient } from '@backchannel/egress';
import type { DeviceChannel, NotificationTarget } from '../device-channel.js';

/**
 * Keycloak's HTTP authentication channel, so that a backend written for Keycloak works unchanged:
 * the request is POSTed as JSON to KEYCLOAK_CHANNEL_URL with `Authorization: Bearer <token>`,
 * where the token is a JWS like Keycloak's (iss the issuer, sub the user, azp the client, jti, exp
 * the request's expiry; aud the issuer's channel, never an access token's audience) and is good for one callback. Only 201 means accepted: another 2xx
 * is a refusal by the channel's contract. The backend later reports the result at the callback
 * endpoint (in approvals) with that token.
 */
@Injectable()
export class KeycloakHttpChannel implements DeviceChannel<'keycloak-http'> {
  readonly name = 'keycloak-http';

  constructor(
    private readonly signer: TokenSigner,
    private readonly callbackTokens: ChannelCallbackTokens,
    private readonly users: UserDirectory,
    private readonly egress: EgressHttpClient,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  async send({
    deviceId,
    streamId,
    request,
  }: NotificationTarget<SettingOf<'keycloak-http'>>): Promise<DeliveryOutcome> {
    const url = this.config.keycloakChannelUrl;
    if (url === null) return { kind: 'rejected', detail: 'KEYCLOAK_CHANNEL_URL is not configured' };
    const user = await this.users.findBySubject(request.subject);
    const now = new Date();
    const token = await this.signer.signAuthenticationChannelToken({
      issuer: this.config.issuer,
      subject: request.subject,
      clientId: request.clientId,
      jti: randomToken(16),
      issuedAt: now,
      // exp is the request's expiry (in whole seconds), as in Keycloak's token
      expiresInSeconds: Math.max(1, epochSeconds(Date.parse(request.expiresAt)) - epochSeconds(now.getTime())),
    });
    await this.callbackTokens.keep(token, { streamId, deviceId, subject: request.subject }, request.expiresAt);
    const outcome = await this.egress.postJson({
      url,
      bearerToken: token,
      body: keycloakChannelRequest(request, user?.username ?? request.subject),
    });
    if (outcome.kind === 'answered' && outcome.status >= 200 && outcome.status < 300 && outcome.status !== 201) {
      return { kind: 'rejected', detail: `answered ${outcome.status}; the channel accepts a request with 201 only` };
    }
    return outcome;
  }
}

function epochSeconds(milliseconds: number): number {
  return Math.floor(milliseconds / 1_000);
}
