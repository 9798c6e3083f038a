import { Injectable } from '@nestjs/common';
import { type AuthRequestCommand, type AuthRequestRejection, authRequestDecider } from '@backchannel/auth-request';
import type { AnswerDoor, Device } from '@backchannel/directory';
import { type EventStoreTransaction, PostgresEventStore, handleCommand } from '@backchannel/event-store';
import type { AuthenticationEvidence, DenialReason } from '@backchannel/events';
import { UserRequests } from '@backchannel/user-requests';

/** What the user answered, and when approving, what they granted and how they proved who they are. */
export type UserAnswer =
  | { decision: 'approve'; grantedScope?: string[]; evidence: AuthenticationEvidence | null }
  | { decision: 'deny'; reason: DenialReason };

/** Why an answer was not recorded: the decider's refusal, or a device answering through another door than its own. */
export type AnswerRefusal = AuthRequestRejection | { code: 'wrong_door'; message: string };

export interface AnswerInput {
  /** The device as the door authenticated it (its token, or the channel's callback token). */
  device: Device;
  /** The door the answer came through. */
  door: AnswerDoor;
  streamId: string;
  answer: UserAnswer;
  correlationId: string;
  now: Date;
  /** Runs in the transaction that records the answer (a passkey's counter, a spent callback token). */
  alsoInTransaction?: (tx: EventStoreTransaction) => Promise<void>;
}

export type AnswerResult = { outcome: 'recorded' } | { outcome: 'refused'; refusal: AnswerRefusal };

/** What a device is told when it uses a door that is not its own. */
const OWN_DOOR: Readonly<Record<AnswerDoor, string>> = {
  device_token: 'This device answers with its device token at the device API.',
  passkey: 'This device answers with its passkey in the authenticator.',
  channel_callback: 'This device answers through its authentication channel.',
};

/**
 * The only writer of the user's answers (ConsentGiven, ConsentDenied), whichever door they come
 * through: the device API, a passkey in the built-in authenticator, the Keycloak-compatible
 * callback. Each device answers through its own door only (its answer door, fixed when it was
 * registered), so a device enrolled with a passkey can never approve with its bearer token alone.
 * The decider then says whether the answer may be recorded (the request is the device's user's,
 * still pending, not expired); the request leaves the user's open requests in the same transaction,
 * with its denial's reason (a "this wasn't me" blocks the client from prompting the user again).
 */
@Injectable()
export class AnswerRecorder {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly userRequests: UserRequests,
  ) {}

  async record(input: AnswerInput): Promise<AnswerResult> {
    const { device, door, streamId, now } = input;
    if (device.answerDoor !== door) {
      return { outcome: 'refused', refusal: { code: 'wrong_door', message: OWN_DOOR[device.answerDoor] } };
    }
    const denial = denialOf(input.answer);
    const { alsoInTransaction } = input;
    // a plain answer is one statement; "this wasn't me" takes the user's lock, and some doors write more
    const writes =
      denial === 'not_recognized' || alsoInTransaction
        ? {
            inTransaction: async (tx: EventStoreTransaction) => {
              await this.userRequests.markAnswered(tx, streamId, now, denial);
              await alsoInTransaction?.(tx);
            },
          }
        : { alongside: this.userRequests.answering(streamId, now, denial) };
    const result = await handleCommand(this.store, streamId, authRequestDecider, commandFor(input), writes);
    return result.outcome === 'accepted' ? { outcome: 'recorded' } : { outcome: 'refused', refusal: result.rejection };
  }

  /**
   * Ends every open request of a user an administrator disabled or deleted: each is denied with
   * that reason (no device answered: `deviceId` is `none`), and leaves the user's open requests.
   * Answers how many were ended; one decided meanwhile is left as it was decided.
   */
  async endOpenRequestsOfUser(
    subject: string,
    reason: 'user_disabled' | 'user_deleted',
    context: { actor: string; correlationId: string; now: Date },
  ): Promise<number> {
    const { actor, correlationId, now } = context;
    let ended = 0;
    for (const request of await this.userRequests.listOpen(subject, now)) {
      const result = await handleCommand(
        this.store,
        request.streamId,
        authRequestDecider,
        {
          type: 'DenyConsent',
          data: { subject, deviceId: 'none', reason },
          metadata: { now: now.toISOString(), correlationId, actor },
        },
        { alongside: this.userRequests.answering(request.streamId, now, reason) },
      );
      if (result.outcome === 'accepted') ended += 1;
    }
    return ended;
  }
}

function denialOf(answer: UserAnswer): DenialReason | null {
  return answer.decision === 'deny' ? answer.reason : null;
}

function commandFor({ device, answer, correlationId, now }: AnswerInput): AuthRequestCommand {
  const { subject, deviceId } = device;
  const metadata = { now: now.toISOString(), correlationId, actor: `device:${deviceId}` };
  switch (answer.decision) {
    case 'approve':
      return {
        type: 'GiveConsent',
        data: { subject, deviceId, grantedScope: answer.grantedScope, evidence: answer.evidence },
        metadata,
      };
    case 'deny':
      return { type: 'DenyConsent', data: { subject, deviceId, reason: answer.reason }, metadata };
    default: {
      const unknownAnswer: never = answer;
      throw new Error(`unhandled answer ${(unknownAnswer as { decision: string }).decision}`);
    }
  }
}
