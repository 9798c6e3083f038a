import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AuthRequestCommand,
  type AuthRequestState,
  authRequestDecider,
  isExpired,
} from '@backchannel/auth-request';
import { ClientAuthenticator, type RegisteredClient } from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { TokenSigner } from '@backchannel/crypto';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { authRequestStreamId } from '@backchannel/events';
import type { OAuthFormRequest } from '@backchannel/http';
import {
  AuthorizationPending,
  type OAuthError,
  SlowDown,
  UnauthorizedClient,
  parseCibaTokenRequest,
} from '@backchannel/oauth';
import { PollThrottleRepository } from './poll-throttle.repository.js';
import { tokenError } from './token-error.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  id_token: string;
  scope: string;
}

interface MintedTokens {
  accessToken: string;
  accessTokenId: string;
  idToken: string;
  idTokenId: string;
  scope: string[];
}

/**
 * The CIBA grant, in the order of checks the conformance suite expects (checklist M.2):
 * client authentication, the client's right to the grant, then the request's state. Tokens are
 * signed before `TokensIssued` is appended with the expected version, so of any number of
 * concurrent redemptions exactly one appends and answers with tokens; the others re-decide on the
 * new state and get invalid_grant.
 */
@Injectable()
export class CibaGrantHandler {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly store: PostgresEventStore,
    private readonly signer: TokenSigner,
    private readonly throttle: PollThrottleRepository,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  async handle(input: OAuthFormRequest): Promise<TokenResponse> {
    const client = await this.clients.authenticateCibaClient(input.authorization, input.params);
    const { authReqId } = parseCibaTokenRequest(input.params);
    if (client.metadata.backchannel_token_delivery_mode === 'push') {
      throw new UnauthorizedClient('The client is configured in push mode and receives its tokens by push.');
    }

    const streamId = authRequestStreamId(authReqId);
    let minted: MintedTokens | null = null;
    const result = await handleCommand(
      this.store,
      streamId,
      authRequestDecider,
      async (state: AuthRequestState): Promise<AuthRequestCommand> => {
        minted = await this.mintIfRedeemable(state, client, input.now);
        return {
          type: 'IssueTokens',
          data: {
            clientId: client.clientId,
            accessTokenId: minted?.accessTokenId ?? '',
            idTokenId: minted?.idTokenId ?? null,
            accessTokenExpiresAt: new Date(
              input.now.getTime() + this.config.accessTokenTtlSeconds * 1000,
            ).toISOString(),
            sealedTokens: null,
          },
          metadata: {
            now: input.now.toISOString(),
            correlationId: input.correlationId,
            actor: `client:${client.clientId}`,
          },
        };
      },
    );

    if (result.outcome === 'rejected') {
      if (result.state.status === 'Pending' && result.rejection.code === 'authorization_pending') {
        throw await this.pendingError(streamId, result.state, input.now);
      }
      throw tokenError(result.rejection);
    }
    const tokens = minted as MintedTokens | null;
    if (!tokens) throw new Error('tokens were issued without being minted');
    return {
      access_token: tokens.accessToken,
      token_type: 'Bearer',
      expires_in: this.config.accessTokenTtlSeconds,
      id_token: tokens.idToken,
      scope: tokens.scope.join(' '),
    };
  }

  /** Signs tokens only for the state that will accept IssueTokens; the decider still has the last word. */
  private async mintIfRedeemable(
    state: AuthRequestState,
    client: RegisteredClient,
    now: Date,
  ): Promise<MintedTokens | null> {
    if (state.status !== 'Approved' || state.request.clientId !== client.clientId) return null;
    if (isExpired(state, now.toISOString())) return null;
    const { issuer, accessTokenTtlSeconds, idTokenTtlSeconds } = this.config;
    const scope = state.consent.grantedScope;
    const accessTokenId = randomUUID();
    const idTokenId = randomUUID();
    const [accessToken, idToken] = await Promise.all([
      this.signer.signAccessToken({
        issuer,
        audience: issuer,
        subject: state.consent.subject,
        clientId: client.clientId,
        scope,
        jti: accessTokenId,
        issuedAt: now,
        expiresInSeconds: accessTokenTtlSeconds,
      }),
      this.signer.signIdToken({
        issuer,
        subject: state.consent.subject,
        clientId: client.clientId,
        authTime: new Date(state.consent.authenticatedAt),
        issuedAt: now,
        expiresInSeconds: idTokenTtlSeconds,
        jti: idTokenId,
      }),
    ]);
    return { accessToken, accessTokenId, idToken, idTokenId, scope };
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
