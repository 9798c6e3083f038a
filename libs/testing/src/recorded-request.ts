import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { PostgresEventStore } from '@backchannel/event-store';
import { type AuthRequested, type RecordedEvent, authRequestStreamId } from '@backchannel/events';
import { UserRequests } from '@backchannel/user-requests';

/** Caps no test reaches. */
const NO_LIMITS = {
  maxPerUser: 1_000,
  maxPerClientAndUser: 1_000,
  perClientAndUser: { budget: 1_000, windowSeconds: 1 },
  backoffAfterDenialSeconds: 0,
  notMeBlockSeconds: 0,
};

/**
 * A poll request for `subject`, recorded as /bc-authorize records it: AuthRequested on a new stream,
 * and, in the same transaction, the request made to the user (what devices list and answer) when
 * the application has UserRequests. `data` overrides the defaults (client, scope, expiry in a minute).
 * `authReqId`: when the caller needs it before (to seal it for a ping or push client).
 */
export async function recordRequest(
  app: INestApplicationContext,
  subject: string,
  data: Partial<AuthRequested['data']> = {},
  authReqId = randomBytes(32).toString('base64url'),
): Promise<RecordedEvent<AuthRequested> & { authReqId: string }> {
  const now = new Date();
  const userRequests = providerOrNull(app, UserRequests);
  const requested = await app.get(PostgresEventStore).transaction(async (tx) => {
    const { events } = await tx.appendToStream<AuthRequested>(authRequestStreamId(authReqId), 0, [
      {
        type: 'AuthRequested',
        schemaVersion: 2,
        data: {
          requestId: `req_${randomBytes(16).toString('base64url')}`,
          clientId: 'client-of-tests',
          clientName: 'Test client',
          subject,
          hintKind: 'login_hint',
          scope: ['openid', 'email'],
          acrValues: [],
          bindingMessage: 'W4SX',
          deliveryMode: 'poll',
          pollInterval: 5,
          clientNotification: null,
          requestedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 60_000).toISOString(),
          ...data,
        },
        metadata: {
          correlationId: `test-${authReqId.slice(0, 8)}`,
          actor: 'client:test',
          occurredAt: now.toISOString(),
        },
      },
    ]);
    await userRequests?.add(tx, events[0]!, NO_LIMITS);
    return events[0]!;
  });
  return { ...requested, authReqId };
}

function providerOrNull<T>(app: INestApplicationContext, type: new (...args: never[]) => T): T | null {
  try {
    return app.get(type, { strict: false });
  } catch {
    return null;
  }
}
