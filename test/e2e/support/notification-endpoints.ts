import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type HttpsReceiver, type ReceivedRequest, type ReceiverReply, startHttpsReceiver } from '@backchannel/testing';
import { waitFor } from './service-process.js';

/**
 * Fast delivery settings for a stack under test: short timeout, retries and lease, so that a
 * retry, a timeout or a crash recovery shows within seconds.
 */
export const FAST_NOTIFICATIONS = {
  CLIENT_NOTIFICATION_TIMEOUT_MS: '1000',
  CLIENT_NOTIFICATION_RETRY_INITIAL_MS: '200',
  CLIENT_NOTIFICATION_RETRY_MAX_MS: '1000',
  CLIENT_NOTIFICATION_LEASE_SECONDS: '3',
  CLIENT_NOTIFICATION_POLL_MS: '100',
};

/** One client's notification endpoint: a path of the shared receiver, with its own scripted replies. */
export interface NotificationEndpoint {
  url: string;
  path: string;
  /** What this endpoint received so far, in order. */
  received(): ReceivedRequest[];
  /** Resolves with this endpoint's requests once at least `count` arrived. */
  waitForCalls(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
}

/**
 * One real HTTPS receiver for a whole suite (one CA for the stack to trust); each scenario takes
 * its own path, answered with that scenario's replies in order, then with 204.
 */
export class NotificationEndpoints {
  private readonly scripts = new Map<string, ReceiverReply[]>();

  private constructor(
    private readonly receiver: HttpsReceiver,
    private readonly caDir: string,
    /** The receiver's CA certificate, for CLIENT_NOTIFICATION_CA_FILE. */
    readonly caFile: string,
  ) {
    receiver.setResponder((request) => this.scripts.get(request.path)?.shift() ?? { status: 204 });
  }

  static async start(): Promise<NotificationEndpoints> {
    const receiver = await startHttpsReceiver();
    const caDir = await mkdtemp(path.join(tmpdir(), 'backchannel-receiver-ca-'));
    return new NotificationEndpoints(receiver, caDir, await receiver.writeCaFile(caDir));
  }

  /** The environment a stack needs to call this receiver, with fast delivery settings. */
  stackEnv(): NodeJS.ProcessEnv {
    return { ...FAST_NOTIFICATIONS, CLIENT_NOTIFICATION_CA_FILE: this.caFile };
  }

  /** A new endpoint that answers `replies` in order, then 204. */
  endpoint(...replies: ReceiverReply[]): NotificationEndpoint {
    const endpointPath = `/cb/${randomBytes(6).toString('hex')}`;
    this.scripts.set(endpointPath, replies);
    const received = () => this.receiver.requests.filter((request) => request.path === endpointPath);
    return {
      url: this.receiver.url(endpointPath),
      path: endpointPath,
      received,
      waitForCalls: (count, timeoutMs = 15_000) =>
        waitFor(
          `${count} call(s) to ${endpointPath}`,
          async () => (received().length >= count ? received() : undefined),
          timeoutMs,
          50,
        ),
    };
  }

  /** Every request the receiver got so far, whichever the path. */
  allCalls(): ReceivedRequest[] {
    return [...this.receiver.requests];
  }

  /** Requests to paths no endpoint was handed out for. */
  strayCalls(): ReceivedRequest[] {
    return this.receiver.requests.filter((request) => !this.scripts.has(request.path));
  }

  async close(): Promise<void> {
    await this.receiver.close();
    await rm(this.caDir, { recursive: true, force: true });
  }
}
