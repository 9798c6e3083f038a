import {
  CURRENT_SCHEMA_VERSIONS,
  accept,
  reject,
  type AccessTokenConfirmation,
  type AuthenticationEvidence,
  type ClientNotificationFailureReason,
  type DenialReason,
  type NotificationFailed,
  type AuthRequestEvent,
  type AuthRequested,
  type Decision,
  type EventMetadata,
  type NewEvent,
} from '@backchannel/events';
import {
  clientNotificationDue,
  deviceNotificationRecorded,
  isExpired,
  type AuthRequestState,
  type DueClientNotification,
  type Issuance,
  type RequestedAuthentication,
} from './auth-request.facts.js';
import { achievedAcr, meetsRequestedAcr } from './authentication-context.js';

/** Time and identity arrive with the command, so decide stays pure and can be re-run. */
export interface AuthRequestCommandMetadata {
  /** ISO-8601 instant: the only clock the decider knows. */
  now: string;
  correlationId: string;
  causationId?: string;
  actor: string;
}

interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
  metadata: AuthRequestCommandMetadata;
}

/** /bc-authorize accepted the request; requestedAt is the command's `now`. */
export type RequestAuthentication = Command<'RequestAuthentication', Omit<AuthRequested['data'], 'requestedAt'>>;

/** A channel delivered the request to a device (deviceId null when the channel has no device id). */
export type RecordUserNotified = Command<'RecordUserNotified', { channel: string; deviceId: string | null }>;

/** A channel gave up on a device: a permanent refusal, or transient failures until expiry. */
export type RecordNotificationFailed = Command<
  'RecordNotificationFailed',
  Pick<NotificationFailed['data'], 'channel' | 'deviceId' | 'reason' | 'httpStatus' | 'attempts' | 'detail'>
>;

/**
 * The user approved; grantedScope defaults to every requested scope, evidence to none (the device
 * API's device token).
 */
export type GiveConsent = Command<
  'GiveConsent',
  { subject: string; deviceId: string; grantedScope?: string[]; evidence?: AuthenticationEvidence | null }
>;

/** The user refused; reason defaults to user_denied. */
export type DenyConsent = Command<'DenyConsent', { subject: string; deviceId: string; reason?: DenialReason }>;

/** The token endpoint redeems the auth_req_id; token ids and expiry are minted by the caller. */
export type IssueTokens = Command<
  'IssueTokens',
  {
    clientId: string;
    accessTokenId: string;
    idTokenId: string | null;
    accessTokenExpiresAt: string;
    /** Push mode: the sealed payload for the client's endpoint; null otherwise. */
    sealedTokens: string | null;
    /** A certificate-bound access token's `cnf` (RFC 8705); absent for bearer tokens. */
    confirmation?: AccessTokenConfirmation;
    /** The family of the refresh token issued with them, if the client receives refresh tokens. */
    refreshTokenFamilyId?: string;
    /**
     * How long after issuance the same client redeeming again is answered with the tokens already
     * issued (a retry after a lost response); absent or 0: never (push mode has no response to lose).
     */
    retryWindowSeconds?: number;
  }
>;

/** How one call (or the last of several) to the client's notification endpoint ended. */
export type ClientNotificationResult =
  | { delivered: true; httpStatus: number; attempts: number }
  | {
      delivered: false;
      reason: ClientNotificationFailureReason;
      httpStatus: number | null;
      attempts: number;
      detail: string;
    };

/** ping-delivery reports the end of the notification it sent (`notification` is what it sent). */
export type RecordClientNotification = Command<
  'RecordClientNotification',
  { notification: DueClientNotification; result: ClientNotificationResult }
>;

export type AuthRequestCommand =
  | RequestAuthentication
  | RecordUserNotified
  | RecordNotificationFailed
  | GiveConsent
  | DenyConsent
  | IssueTokens
  | RecordClientNotification;

export type AuthRequestRejectionCode =
  | 'already_exists'
  | 'not_found'
  | 'already_decided'
  | 'expired'
  | 'invalid_scope'
  | 'invalid_grant'
  | 'expired_token'
  | 'access_denied'
  | 'authorization_pending'
  | 'not_due'
  | 'insufficient_authentication';

/** `message` is a short sentence that callers may show as an OAuth error_description. */
export interface AuthRequestRejection {
  code: AuthRequestRejectionCode;
  message: string;
}

type AuthRequestDecision = Decision<AuthRequestEvent, AuthRequestRejection>;
type PendingState = Extract<AuthRequestState, { status: 'Pending' }>;

function rejection(code: AuthRequestRejectionCode, message: string): AuthRequestDecision {
  return reject({ code, message });
}

function eventMetadata({ now, ...identity }: AuthRequestCommandMetadata): EventMetadata {
  return { ...identity, occurredAt: now };
}

function newEvent<Type extends AuthRequestEvent['type']>(
  type: Type,
  data: Extract<AuthRequestEvent, { type: Type }>['data'],
  command: AuthRequestCommand,
): NewEvent<AuthRequestEvent> {
  // TypeScript cannot relate a generic `Type` to its data through Extract; the signature does.
  const schemaVersion = CURRENT_SCHEMA_VERSIONS[type];
  return { type, schemaVersion, data, metadata: eventMetadata(command.metadata) } as NewEvent<AuthRequestEvent>;
}

function requestAuthentication(command: RequestAuthentication, state: AuthRequestState): AuthRequestDecision {
  if (state.status !== 'Empty') return rejection('already_exists', 'The authentication request already exists.');
  return accept(newEvent('AuthRequested', { ...command.data, requestedAt: command.metadata.now }, command));
}

/**
 * One outcome per device: a repeated report (a redelivery, a second worker after a crash) is
 * accepted with no events whatever the state has become since, so an at-least-once worker can
 * replay it without a rejection. A delivery is only ever sent while the request is pending (the
 * delivery plan asks deviceNotificationDue first), so one reported after the user answered raced
 * the answer (a device that approves on receipt): it happened, and is recorded; not after expiry.
 */
function recordUserNotified(command: RecordUserNotified, state: AuthRequestState): AuthRequestDecision {
  if (state.status === 'Empty') return rejection('not_found', 'The authentication request does not exist.');
  if (deviceNotificationRecorded(state, command.data)) return accept();
  if (isExpired(state, command.metadata.now)) return rejection('expired', 'The authentication request has expired.');
  const { requestId, subject } = state.request;
  const { channel, deviceId } = command.data;
  return accept(newEvent('UserNotified', { requestId, subject, channel, deviceId }, command));
}

/** Like RecordUserNotified, one outcome per device; a failure is a fact whatever the request's state. */
function recordNotificationFailed(command: RecordNotificationFailed, state: AuthRequestState): AuthRequestDecision {
  if (state.status === 'Empty') return rejection('not_found', 'The authentication request does not exist.');
  if (deviceNotificationRecorded(state, command.data)) return accept();
  const { requestId, subject } = state.request;
  return accept(newEvent('NotificationFailed', { requestId, subject, ...command.data }, command));
}

/**
 * Both answers of the user pass the same guards before `answer` runs. Another user's request reads
 * as not found, so a device can never learn that it exists; an answer at or after expiry is
 * refused, so an approval racing expiry can never lead to tokens.
 */
function answerPendingRequest(
  command: GiveConsent | DenyConsent,
  state: AuthRequestState,
  answer: (pending: PendingState) => AuthRequestDecision,
): AuthRequestDecision {
  if (state.status === 'Empty' || state.request.subject !== command.data.subject) {
    return rejection('not_found', 'The authentication request does not exist.');
  }
  if (state.status !== 'Pending') {
    return rejection('already_decided', 'The authentication request was already decided.');
  }
  if (isExpired(state, command.metadata.now)) return rejection('expired', 'The authentication request has expired.');
  return answer(state);
}

/** Granted scopes in requested order, de-duplicated; undefined when the grant is not acceptable. */
function grantedScopeOf(request: RequestedAuthentication, granted: string[] | undefined): string[] | undefined {
  if (granted === undefined) return request.scope;
  if (granted.length === 0 || !granted.includes('openid')) return undefined;
  if (!granted.every((scope) => request.scope.includes(scope))) return undefined;
  return request.scope.filter((scope) => granted.includes(scope));
}

function giveConsent(command: GiveConsent, state: AuthRequestState): AuthRequestDecision {
  return answerPendingRequest(command, state, ({ request }) => {
    const grantedScope = grantedScopeOf(request, command.data.grantedScope);
    if (!grantedScope) {
      return rejection(
        'invalid_scope',
        'The granted scope must be a non-empty part of the requested scope with openid.',
      );
    }
    const { subject, deviceId, evidence = null } = command.data;
    if (!meetsRequestedAcr(request.acrValues, achievedAcr(evidence))) {
      return rejection(
        'insufficient_authentication',
        'The client asked for a stronger authentication than this approval: approve with a user-verified passkey.',
      );
    }
    const authenticatedAt = command.metadata.now;
    return accept(
      newEvent(
        'ConsentGiven',
        { requestId: request.requestId, subject, deviceId, grantedScope, authenticatedAt, evidence },
        command,
      ),
    );
  });
}

function denyConsent(command: DenyConsent, state: AuthRequestState): AuthRequestDecision {
  return answerPendingRequest(command, state, ({ request }) => {
    const { subject, deviceId, reason = 'user_denied' } = command.data;
    return accept(newEvent('ConsentDenied', { requestId: request.requestId, subject, deviceId, reason }, command));
  });
}

function isRetryInWindow(issuance: Issuance, command: IssueTokens): boolean {
  const windowMs = (command.data.retryWindowSeconds ?? 0) * 1000;
  return windowMs > 0 && Date.parse(command.metadata.now) < Date.parse(issuance.issuedAt) + windowMs;
}

/**
 * The order of checks is the one of ciba-checklist M.2 (steps 4 to 8). The client that redeemed
 * may redeem again within the command's retry window (see isRetryInWindow); never another client.
 */
function issueTokens(command: IssueTokens, state: AuthRequestState): AuthRequestDecision {
  const { clientId, accessTokenId, idTokenId, accessTokenExpiresAt, sealedTokens, confirmation, refreshTokenFamilyId } =
    command.data;
  // Unknown and another client's auth_req_id get the same answer: neither reveals the other.
  if (state.status === 'Empty' || state.request.clientId !== clientId) {
    return rejection('invalid_grant', 'The auth_req_id is invalid or was issued to another client.');
  }
  if (state.status === 'Issued') {
    // accepted with nothing to record: the caller answers with the response it kept
    if (isRetryInWindow(state.issuance, command)) return accept();
    return rejection('invalid_grant', 'The auth_req_id has already been used.');
  }
  if (isExpired(state, command.metadata.now)) return rejection('expired_token', 'The auth_req_id has expired.');
  if (state.status === 'Denied') return rejection('access_denied', 'The end-user denied the authorization request.');
  if (state.status === 'Pending') {
    return rejection('authorization_pending', 'The end-user has not yet been authenticated.');
  }
  const { subject, grantedScope } = state.consent;
  return accept(
    newEvent(
      'TokensIssued',
      {
        clientId,
        subject,
        grantedScope,
        accessTokenId,
        idTokenId,
        accessTokenExpiresAt,
        sealedTokens,
        ...(confirmation && { confirmation }),
        ...(refreshTokenFamilyId && { refreshTokenFamilyId }),
      },
      command,
    ),
  );
}

function sameNotification(left: DueClientNotification, right: DueClientNotification): boolean {
  return (
    left.kind === right.kind &&
    (left.kind !== 'push_error' || right.kind !== 'push_error' || left.error === right.error)
  );
}

/**
 * At most one outcome per request: once one is recorded, a repeated report (a redelivery, or a
 * second worker after a crash) is accepted with no event. Otherwise the reported notification must
 * be the one due, so a stale worker cannot record a ping for a poll client or tokens never issued.
 */
function recordClientNotification(command: RecordClientNotification, state: AuthRequestState): AuthRequestDecision {
  if (state.status === 'Empty') return rejection('not_found', 'The authentication request does not exist.');
  if (state.clientNotification !== null) return accept();
  const { notification, result } = command.data;
  const due = clientNotificationDue(state, command.metadata.now);
  if (!due || !sameNotification(due, notification)) {
    return rejection('not_due', 'This notification is not due for the authentication request.');
  }
  const { requestId, clientId } = state.request;
  const error = notification.kind === 'push_error' ? notification.error : null;
  if (!result.delivered) {
    const { reason, httpStatus, attempts, detail } = result;
    return accept(
      newEvent(
        'ClientNotificationFailed',
        { requestId, clientId, kind: notification.kind, error, reason, httpStatus, attempts, detail },
        command,
      ),
    );
  }
  const { httpStatus, attempts } = result;
  if (notification.kind === 'push_tokens') {
    // clientNotificationDue only asks for push_tokens in the Issued state
    const accessTokenId = state.status === 'Issued' ? state.issuance.accessTokenId : '';
    return accept(newEvent('TokensPushed', { requestId, clientId, accessTokenId, httpStatus, attempts }, command));
  }
  return accept(
    newEvent('ClientNotified', { requestId, clientId, kind: notification.kind, error, httpStatus, attempts }, command),
  );
}

export function decide(command: AuthRequestCommand, state: AuthRequestState): AuthRequestDecision {
  switch (command.type) {
    case 'RequestAuthentication':
      return requestAuthentication(command, state);
    case 'RecordUserNotified':
      return recordUserNotified(command, state);
    case 'RecordNotificationFailed':
      return recordNotificationFailed(command, state);
    case 'GiveConsent':
      return giveConsent(command, state);
    case 'DenyConsent':
      return denyConsent(command, state);
    case 'IssueTokens':
      return issueTokens(command, state);
    case 'RecordClientNotification':
      return recordClientNotification(command, state);
    default: {
      const unknownCommand: never = command;
      throw new Error(`unknown auth-request command ${(unknownCommand as { type: string }).type}`);
    }
  }
}
