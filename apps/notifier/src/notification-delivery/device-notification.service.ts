import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AuthRequestCommand, authRequestDecider, foldAuthRequest } from '@backchannel/auth-request';
import { BACKCHANNEL_CONFIG, type BackchannelConfig, type ClientNotificationConfig } from '@backchannel/config';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import type { AuthRequestEvent, AuthRequested, RecordedEvent } from '@backchannel/events';
import { backoffDelay, shortDetail } from '@backchannel/messaging';
import type { ChannelOutcome, DeviceChannelName, NotificationTarget } from '../channels/device-channel.js';
import { DeviceChannels } from '../channels/device-channels.js';
import { DeviceChannelsRepository } from '../channels/device-channels.repository.js';
import { type DeviceNotificationJob, DeviceNotificationJobs } from './device-notification-jobs.repository.js';
import {
  type AttemptFollowUp,
  deviceNotificationOwed,
  expiredWhileRetrying,
  followUp,
} from './device-notification-plan.js';

const ACTOR = 'system:notifier';

/**
 * Works one claimed device notification: reads the request's stream, sends it through the
 * device's channel, and records the end of the device's attempts (UserNotified or
 * NotificationFailed) through the decider in the transaction that ends the job. A crash between
 * the send and that commit sends again once the lease lapses (at least once); the decider records
 * one outcome per channel and device. Logs name the request id and the device, never a secret.
 */
@Injectable()
export class DeviceNotificationDelivery {
  private readonly logger = new Logger(DeviceNotificationDelivery.name);
  private readonly settings: ClientNotificationConfig;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly jobs: DeviceNotificationJobs,
    private readonly deviceChannels: DeviceChannelsRepository,
    private readonly channels: DeviceChannels,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    // device channels share the delivery settings of client notifications (retry, lease, timeout, egress policy)
    this.settings = config.clientNotification;
  }

  /** Never throws: a failure of ours (the database) is retried with backoff, or the lease lapses. */
  async deliver(job: DeviceNotificationJob): Promise<void> {
    try {
      await this.work(job);
    } catch (error) {
      const detail = shortDetail(`${(error as Error).name}: ${(error as Error).message}`);
      this.logger.error(`notification of ${job.deviceId} failed (attempt ${job.attempts}): ${detail}`);
      const retryAt = new Date(Date.now() + backoffDelay(job.attempts, this.settings.retry));
      await this.jobs.retryLater(job, retryAt, detail).catch(() => undefined);
    }
  }

  private async work(job: DeviceNotificationJob): Promise<void> {
    const { events } = await this.store.readStream<AuthRequestEvent>(job.streamId);
    const state = foldAuthRequest(events);
    const device = await this.deviceChannels.find(job.deviceId);
    if (device && expiredWhileRetrying(state, job.deviceId, new Date(), job.attempts)) {
      const detail = job.lastError ?? 'the request expired before the next attempt';
      const summary = `${device.setting.channel} notification of ${job.deviceId}`;
      const gaveUp = { ...job, attempts: job.attempts - 1 };
      return this.record(
        gaveUp,
        device.setting.channel,
        { action: 'failed', reason: 'retries_exhausted', detail },
        events,
        summary,
      );
    }
    // decided, expired or already told; or the device is gone or back on the device API
    if (state.status === 'Empty' || !device || !deviceNotificationOwed(state, job.deviceId, new Date())) {
      return this.jobs.finish(job, new Date());
    }
    const target: NotificationTarget = {
      deviceId: job.deviceId,
      setting: device.setting,
      streamId: job.streamId,
      request: state.request,
    };
    const outcome = await this.send(target);
    const now = new Date();
    const next = followUp(
      outcome,
      now,
      new Date(state.request.expiresAt),
      backoffDelay(job.attempts, this.settings.retry),
    );
    const summary = `${device.setting.channel} notification of ${job.deviceId} for ${state.request.requestId}`;
    if (next.action === 'retry') {
      this.logger.warn(`${summary}, attempt ${job.attempts}: ${next.lastError}`);
      return this.jobs.retryLater(job, next.at, next.lastError);
    }
    await this.record(job, device.setting.channel, next, events, summary);
  }

  /** A channel that throws (a webhook secret that does not open, a directory lookup) is retried like a network error. */
  private async send(target: NotificationTarget): Promise<ChannelOutcome> {
    try {
      return await this.channels.notify(target);
    } catch (error) {
      return { kind: 'retryable', detail: `${(error as Error).name}: ${(error as Error).message}` };
    }
  }

  /** The device's outcome becomes an event and the job ends, in one transaction. */
  private async record(
    job: DeviceNotificationJob,
    channel: DeviceChannelName,
    next: Exclude<AttemptFollowUp, { action: 'retry' }>,
    events: RecordedEvent<AuthRequestEvent>[],
    summary: string,
  ): Promise<void> {
    const now = new Date();
    const requested = events[0] as RecordedEvent<AuthRequested>;
    const metadata = {
      now: now.toISOString(),
      correlationId: requested.metadata.correlationId,
      causationId: requested.eventId,
      actor: ACTOR,
    };
    const { deviceId } = job;
    const command: AuthRequestCommand =
      next.action === 'notified'
        ? { type: 'RecordUserNotified', data: { channel, deviceId }, metadata }
        : {
            type: 'RecordNotificationFailed',
            data: { channel, deviceId, reason: next.reason, attempts: job.attempts, detail: next.detail },
            metadata,
          };
    const recorded = await handleCommand(this.store, job.streamId, authRequestDecider, command, {
      inTransaction: (tx) => this.jobs.finish(job, now, tx),
    });
    if (recorded.outcome === 'rejected') {
      // decided or expired since it was read: the device was told about a request that just ended
      this.logger.log(`${summary} sent but not recorded: ${recorded.rejection.code}`);
    } else if (next.action === 'notified') {
      this.logger.log(`${summary} delivered after ${job.attempts} attempt(s)`);
    } else {
      this.logger.warn(`${summary} failed (${next.reason}) after ${job.attempts} attempt(s): ${next.detail}`);
    }
    if (recorded.outcome === 'rejected' || recorded.events.length === 0) await this.jobs.finish(job, now);
  }
}
