import { Inject, Injectable } from '@nestjs/common';
import type { AuthRequestState } from '@backchannel/auth-request';
import { ClientAuthenticator, receivesRefreshTokens } from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { authRequestStreamId } from '@backchannel/events';
import type { OAuthFormRequest } from '@backchannel/http';
import {
  AuthorizationPending,
  CIBA_GRANT_TYPE,
  InvalidGrant,
  type OAuthError,
  SlowDown,
  UnauthorizedClient,
  UnsupportedGrantType,
  parseTokenRequest,
} from '@backchannel/oauth';
import { SenderConstraints } from '../sender-constraint/sender-constraints.js';
import { TokenMinter, type TokenResponse } from '../token-minting/token-minter.js';
import { type InvalidGrantBudget, InvalidGrantThrottleRepository } from './invalid-grant-throttle.repository.js';
import { PollThrottleRepository } from './poll-throttle.repository.js';
import { tokenError } from './token-error.js';

/**
 * The CIBA grant, in the order of checks the conformance suite expects (checklist M.2):
 * client authentication, the client's right to the grant (push clients get theirs by push), then
 * the request's state. Of any number of concurrent redemptions exactly one appends `TokensIssued`
 * and answers with tokens (see TokenMinter); the others re-decide on the new state and get the
 * same response (the same client, within the retry window) or invalid_grant. A client that got too
 * many invalid_grant answers lately (guessing auth_req_id values) is answered slow_down, never 429
 * (checklist N.4), without its auth_req_id being looked at, so that guessing on learns nothing,
 * until its window ends.
 */
@Injectable()
export class CibaGrantHandler {
  private readonly invalidGrantBudget: InvalidGrantBudget;

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly minter: TokenMinter,
    private readonly throttle: PollThrottleRepository,
    private readonly guessing: InvalidGrantThrottleRepository,
    private readonly senderConstraints: SenderConstraints,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {
    this.invalidGrantBudget = config.abuseLimits.invalidGrants;
  }

  async handle(input: OAuthFormRequest): Promise<TokenResponse> {
    const client = await this.clients.authenticateCibaClient(input);
    const grant = parseTokenRequest(input.params);
    if (grant.grantType !== CIBA_GRANT_TYPE) throw new UnsupportedGrantType('The grant_type is not the CIBA grant.');
    const { authReqId, resources } = grant;
    if (client.metadata.backchannel_token_delivery_mode === 'push') {
      throw new UnauthorizedClient('The client is configured in push mode and receives its tokens by push.');
    }
    if (await this.guessing.isOverBudget(client.clientId, this.invalidGrantBudget, input.now)) {
      throw new SlowDown('Too many invalid auth_req_id values from this client: poll less often.');
    }
    const confirmation = await this.senderConstraints.confirmationFor(client, input);

    const streamId = authRequestStreamId(authReqId);
    const result = await this.minter.issue(streamId, {
      clientId: client.clientId,
      confirmation,
      refreshToken: receivesRefreshTokens(client),
      resources,
      now: input.now,
      origin: { correlationId: input.correlationId, actor: `client:${client.clientId}` },
      // a response lost to a crash (of this service or the gateway) is answered again to a retry
      ...(this.config.tokenRetryWindowSeconds > 0 && {
        retry: { authReqId, windowSeconds: this.config.tokenRetryWindowSeconds },
      }),
    });
    if (result.outcome === 'issued') return result.tokens;
    if (result.state.status === 'Pending' && result.rejection.code === 'authorization_pending') {
      throw await this.pendingError(streamId, result.state, input.now);
    }
    const error = tokenError(result.rejection);
    if (error instanceof InvalidGrant) {
      await this.guessing.recordInvalidGrant(client.clientId, this.invalidGrantBudget, input.now);
    }
    throw error;
  }

  private async pendingError(
    streamId: string,
    state: Extract<AuthRequestState, { status: 'Pending' }>,
    now: Date,
  ): Promise<OAuthError> {
    const verdict = await this.throttle.recordPoll(
      streamId,
      state.request.pollInterval,
      now,
      new Date(state.request.expiresAt),
    );
    return verdict.kind === 'too_fast'
      ? new SlowDown(`Polling too fast: wait at least ${verdict.intervalSeconds} seconds between requests.`)
      : new AuthorizationPending('The end-user has not yet approved or denied the request.');
  }
}
