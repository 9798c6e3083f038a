import { Inject, Injectable } from '@nestjs/common';
import { type RequestAuthentication, authRequestDecider } from '@backchannel/auth-request';
import {
  AuthenticationRequestParameters,
  ClientAuthenticator,
  type RegisteredClient,
  followsFapiCiba,
} from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, randomToken } from '@backchannel/crypto';
import { DeviceRegistry, UserCodes } from '@backchannel/directory';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import {
  type AuthRequested,
  type ClientNotificationTarget,
  type ConsentWording,
  type NotificationSecrets,
  type NewEvent,
  authRequestStreamId,
} from '@backchannel/events';
import type { OAuthFormRequest } from '@backchannel/http';
import { ConsentVocabulary } from '@backchannel/consent-vocabulary';
import {
  AccessDenied,
  type BackchannelAuthenticationRequest,
  InvalidUserCode,
  MissingUserCode,
  REFRESH_TOKEN_GRANT_TYPE,
  ServerError,
  parseBackchannelAuthenticationRequest,
} from '@backchannel/oauth';
import { type PromptLimits, TooManyOpenRequestsError, UserRequests } from '@backchannel/user-requests';
import { HintedUsers } from './hinted-user.js';

/** One answer for either cap, so a client learns nothing of what other clients asked. */
export const TOO_MANY_OPEN_REQUESTS = 'Too many pending authentication requests for this user.';

/** CIBA §7.3: the acknowledgement. `interval` only for the clients that poll: poll and ping, never push. */
export interface BackchannelAuthenticationResponse {
  auth_req_id: string;
  expires_in: number;
  interval?: number;
}

/**
 * The checks of CIBA §7.2 in order: client authentication, the client's right to the grant,
 * the signed request (when the client signs them), the request parameters, the user the hint names and a device to reach them on, the user's limits
 * on open requests; then the request is recorded as the first event of its own stream, and made
 * to the user (UserRequests) in the same transaction. Every problem that can be found up front is
 * answered now, never later.
 */
@Injectable()
export class BcAuthorizeHandler {
  private readonly limits: PromptLimits;

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly requestParameters: AuthenticationRequestParameters,
    private readonly hintedUsers: HintedUsers,
    private readonly devices: DeviceRegistry,
    private readonly store: PostgresEventStore,
    private readonly sealer: PayloadSealer,
    private readonly userRequests: UserRequests,
    private readonly userCodes: UserCodes,
    private readonly vocabulary: ConsentVocabulary,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {
    const { maxPendingPerUser, maxPendingPerClientAndUser, prompts } = config.abuseLimits;
    this.limits = { maxPerUser: maxPendingPerUser, maxPerClientAndUser: maxPendingPerClientAndUser, ...prompts };
  }

  async handle(input: OAuthFormRequest): Promise<BackchannelAuthenticationResponse> {
    const client = await this.clients.authenticateCibaClient(input);
    const { metadata } = client;
    const params = await this.requestParameters.of(client, input.params, input.now);
    const request = parseBackchannelAuthenticationRequest(params, {
      allowedScopes: metadata.scope.split(' '),
      deliveryMode: metadata.backchannel_token_delivery_mode,
      bindingMessageRequired: followsFapiCiba(metadata),
      // the issuer's own resource (userinfo) is every client's
      allowedResources: [this.config.issuer, ...(metadata.backchannel_allowed_resources ?? [])],
      allowedAuthorizationDetailTypes: metadata.authorization_details_types ?? [],
      refreshTokenGrant: metadata.grant_types.includes(REFRESH_TOKEN_GRANT_TYPE),
    });
    const user = await this.hintedUsers.userOf(request.hint, client, input.now);
    const wording = await this.wordingOf(request);
    await this.checkUserCode(client, user.subject, request.userCode, input.now);
    // Refused now rather than after an auth_req_id is issued: nobody could ever approve it.
    if (!(await this.devices.hasDevice(user.subject))) {
      throw new AccessDenied('The user has no authentication device to approve the request on.', 403);
    }

    const { defaultExpirySeconds, minExpirySeconds, maxExpirySeconds, pollIntervalSeconds } = this.config.authRequest;
    const expiresIn = Math.min(
      maxExpirySeconds,
      Math.max(minExpirySeconds, request.requestedExpiry ?? defaultExpirySeconds),
    );
    const expiresAt = new Date(input.now.getTime() + expiresIn * 1000);
    const authReqId = randomToken(32);
    const streamId = authRequestStreamId(authReqId);
    const clientNotification = await this.notificationTarget(
      streamId,
      authReqId,
      metadata.backchannel_client_notification_endpoint,
      request.clientNotificationToken,
    );
    const command: RequestAuthentication = {
      type: 'RequestAuthentication',
      data: {
        requestId: `req_${randomToken(16)}`,
        clientId: client.clientId,
        clientName: metadata.client_name,
        subject: user.subject,
        hintKind: request.hint.kind,
        scope: request.scope,
        acrValues: request.acrValues,
        bindingMessage: request.bindingMessage,
        deliveryMode: metadata.backchannel_token_delivery_mode,
        pollInterval: pollIntervalSeconds,
        clientNotification,
        expiresAt: expiresAt.toISOString(),
        ...(request.resources.length > 0 && { resources: request.resources }),
        ...(request.authorizationDetails && { authorizationDetails: request.authorizationDetails }),
        ...(request.requestedClaims && { requestedClaims: request.requestedClaims }),
        ...(wording && { wording }),
      },
      metadata: {
        now: input.now.toISOString(),
        correlationId: input.correlationId,
        actor: `client:${client.clientId}`,
      },
    };
    const result = await handleCommand(this.store, streamId, authRequestDecider, command, {
      // a new stream: nothing to read (a collision would fail the append, then be read)
      from: { state: authRequestDecider.initialState(), version: 0 },
      // Counted in the transaction that records the request: a refusal (access_denied) leaves no event.
      inTransaction: async (tx, [requested]) => {
        try {
          await this.userRequests.add(tx, { streamId, data: (requested as NewEvent<AuthRequested>).data }, this.limits);
        } catch (error) {
          if (error instanceof TooManyOpenRequestsError) throw new AccessDenied(TOO_MANY_OPEN_REQUESTS, 403);
          throw error;
        }
      },
    });
    // A fresh 256-bit id cannot collide with an existing stream; if it ever did, fail loudly.
    if (result.outcome === 'rejected') throw new ServerError('The request could not be recorded.');
    const pushed = metadata.backchannel_token_delivery_mode === 'push';
    return { auth_req_id: authReqId, expires_in: expiresIn, ...(!pushed && { interval: pollIntervalSeconds }) };
  }

  /**
   * The administrator's words for the request's API scopes and authorization-detail types, as they
   * are now: recorded with the request, so the device shows (and the passkey signs) what was asked
   * even if the words change later. Undefined when nothing asked has words.
   */
  private async wordingOf(request: BackchannelAuthenticationRequest): Promise<ConsentWording | undefined> {
    const types = [...new Set((request.authorizationDetails ?? []).map((detail) => detail.type))];
    const described = await this.vocabulary.describe({ scopes: request.scope, authorizationDetailTypes: types });
    const { scopes, authorizationDetailTypes } = described;
    if (Object.keys(scopes).length === 0 && Object.keys(authorizationDetailTypes).length === 0) return undefined;
    // plain objects: the event is JSON, and the vocabulary's records have no prototype
    return { scopes: { ...scopes }, authorizationDetailTypes: { ...authorizationDetailTypes } };
  }

  /** Ping and push clients: the endpoint, and the secrets ping-delivery needs, sealed to the stream. */
  private async notificationTarget(
    streamId: string,
    authReqId: string,
    endpoint: string | undefined,
    clientNotificationToken: string | null,
  ): Promise<ClientNotificationTarget | null> {
    if (endpoint === undefined || clientNotificationToken === null) return null;
    const secrets: NotificationSecrets = { authReqId, clientNotificationToken };
    return { endpoint, sealedSecrets: await this.sealer.seal(secrets, streamId) };
  }

  /**
   * CIBA §7.1.2: a client registered with backchannel_user_code_parameter sends the user's code,
   * which must be the one set for the user (UserCodes throttles guessing; never a 429).
   */
  private async checkUserCode(client: RegisteredClient, subject: string, code: string | null, now: Date) {
    if (!client.metadata.backchannel_user_code_parameter) return;
    if (code === null) throw new MissingUserCode('This client sends the user_code, and it is missing.');
    const verdict = await this.userCodes.verify(subject, code, now);
    switch (verdict.outcome) {
      case 'accepted':
        return;
      case 'throttled':
        throw new InvalidUserCode(
          `Too many wrong user codes for this user: the next one is checked in ${verdict.retryAfterSeconds} seconds.`,
        );
      default:
        throw new InvalidUserCode('The user_code is invalid.');
    }
  }
}
