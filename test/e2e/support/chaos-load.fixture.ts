import { setTimeout as sleep } from 'node:timers/promises';
import type { BackchannelApi, TestClient, TestUser } from './backchannel-api.js';
import type { NotifiedClient } from './ping-push.scenarios.js';

/** How a flow ended: its tokens, or the OAuth error it ended with; `calls` counts 5xx and refused connections met on the way. */
export interface FlowOutcome {
  mode: 'poll' | 'ping';
  authReqId: string | null;
  result: 'tokens' | string;
  startedAt: number;
  endedAt: number;
  /** What the client met and retried: `503`, `connection refused`, ... */
  retried: string[];
  /** Any 5xx but a 503 with Retry-After: never allowed. */
  unexpected: string[];
}

/** A call's answer, or the reason there was none (the process behind it was dead). */
type Attempt<T> = { status: number; body: T; headers: Headers } | { failed: string };

/**
 * Steady mixed poll and ping flows, each worker one flow after another for its own user, every
 * call retried while the service behind it is down (a refused or reset connection, or the
 * documented 503 with Retry-After), as a well-behaved client would, until the request's expiry.
 */
export class ChaosLoad {
  readonly outcomes: FlowOutcome[] = [];
  private running = true;
  private readonly workers: Promise<void>[] = [];
  private inFlight = 0;

  constructor(
    private readonly api: BackchannelApi,
    private readonly clients: { poll: TestClient & { name: string }; ping: NotifiedClient },
  ) {}

  start(users: TestUser[]): void {
    users.forEach((user, index) => this.workers.push(this.work(user, index)));
  }

  /** Flows begun and not yet ended: a crash now hits them. */
  get flowsInFlight(): number {
    return this.inFlight;
  }

  /** Resolves once `count` more flows than now have ended. */
  async completed(count: number, timeoutMs = 90_000): Promise<void> {
    const target = this.outcomes.length + count;
    const deadline = Date.now() + timeoutMs;
    while (this.outcomes.length < target) {
      if (Date.now() > deadline) throw new Error(`only ${this.outcomes.length} of ${target} flows ended`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async work(user: TestUser, index: number): Promise<void> {
    for (let round = 0; this.running; round += 1) {
      // one in three flows is a ping client's
      const mode = (index + round) % 3 === 0 ? 'ping' : 'poll';
      this.inFlight += 1;
      try {
        this.outcomes.push(await this.flow(mode, user));
      } finally {
        this.inFlight -= 1;
      }
    }
  }

  private async flow(mode: 'poll' | 'ping', user: TestUser): Promise<FlowOutcome> {
    const client = this.clients[mode];
    const startedAt = Date.now();
    const retried: string[] = [];
    const unexpected: string[] = [];
    const ended = (authReqId: string | null, result: string): FlowOutcome => ({
      mode,
      authReqId,
      result,
      startedAt,
      endedAt: Date.now(),
      retried,
      unexpected,
    });
    const call = <T>(attempt: () => Promise<{ status: number; body: T; headers: Headers }>) =>
      this.untilAnswered(attempt, retried, unexpected, startedAt + 60_000);

    const ack = await call(() =>
      this.api.bcAuthorize(client, {
        scope: 'openid',
        login_hint: user.email,
        ...(mode === 'ping' && { client_notification_token: `chaos-${startedAt}-${Math.random()}`.replace('.', '') }),
      }),
    );
    if (ack === null || ack.status !== 200) return ended(null, `bc-authorize ${ack?.status ?? 'never answered'}`);
    const authReqId = String((ack.body as Record<string, unknown>).auth_req_id);
    const expiresAt = startedAt + Number((ack.body as Record<string, unknown>).expires_in) * 1000;

    // the user approves on their device once the request shows there
    const requestId = await this.onDevice(user, client.name, retried, unexpected, expiresAt);
    if (requestId === null) return ended(authReqId, 'never shown on the device');
    const decided = await call(() => this.api.decide(user, requestId, { decision: 'approve' }));
    // 409 after a lost answer: the first attempt was recorded before the connection went (the tokens tell)
    const recorded = decided?.status === 204 || (decided?.status === 409 && retried.length > 0);
    if (!recorded) return ended(authReqId, `decision ${decided?.status ?? 'lost'}`);

    if (mode === 'ping') {
      const pinged = await this.pingFor(this.clients.ping, authReqId, expiresAt);
      if (!pinged) return ended(authReqId, 'no ping');
    }
    for (;;) {
      const tokens = await call(() => this.api.token(client, authReqId));
      if (tokens === null) return ended(authReqId, 'token never answered');
      const error = (tokens.body as Record<string, unknown>).error;
      if (tokens.status === 200) return ended(authReqId, 'tokens');
      if (error !== 'authorization_pending' && error !== 'slow_down') return ended(authReqId, String(error));
      if (Date.now() > expiresAt) return ended(authReqId, 'expired while pending');
      await sleep(error === 'slow_down' ? 2_000 : 1_000);
    }
  }

  private async onDevice(
    user: TestUser,
    clientName: string,
    retried: string[],
    unexpected: string[],
    deadline: number,
  ): Promise<string | null> {
    while (Date.now() < deadline) {
      const list = await this.untilAnswered(() => this.api.deviceRequests(user), retried, unexpected, deadline);
      if (list === null) return null;
      const found = Array.isArray(list.body) ? list.body.find((item) => item.client_name === clientName) : undefined;
      if (found) return String(found.request_id);
      await sleep(100);
    }
    return null;
  }

  private async pingFor(client: NotifiedClient, authReqId: string, deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      const pinged = client.endpoint
        .received()
        .some((call) => (call.json as Record<string, unknown> | null)?.auth_req_id === authReqId);
      if (pinged) return true;
      await sleep(100);
    }
    return false;
  }

  /** Calls until an answer that is not a retryable outage; null when the deadline passes first. */
  private async untilAnswered<T>(
    attempt: () => Promise<{ status: number; body: T; headers: Headers }>,
    retried: string[],
    unexpected: string[],
    deadline: number,
  ): Promise<{ status: number; body: T; headers: Headers } | null> {
    while (Date.now() < deadline) {
      const answer: Attempt<T> = await attempt().catch((error: unknown) => ({
        failed: String((error as { cause?: { code?: string } }).cause?.code ?? error),
      }));
      if ('failed' in answer) {
        retried.push(answer.failed);
      } else if (answer.status === 503 && answer.headers.get('retry-after') !== null) {
        retried.push('503');
      } else if (answer.status >= 500) {
        unexpected.push(`${answer.status} ${JSON.stringify(answer.body)}`);
        retried.push(String(answer.status));
      } else {
        return answer;
      }
      await sleep(200);
    }
    return null;
  }
}
