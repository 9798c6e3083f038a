import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { KeyRing } from '@backchannel/crypto';
import type { AlongsideWrites } from '@backchannel/event-store';
import type { PushedTokens } from '@backchannel/events';

/** The key's purpose: no other value is sealed with a key derived from an auth_req_id for it. */
const RESPONSE_KEY_INFO = 'backchannel token response';

/** Where a response is kept: the stream of its request, and the auth_req_id that alone opens it. */
export interface KeptResponseOwner {
  streamId: string;
  authReqId: string;
}

/**
 * Token responses kept for a retry of the redemption that was answered with them (the decider
 * says when a retry is answered; see IssueTokens' retryWindowSeconds). Each is sealed with a key
 * derived from its auth_req_id, bound to its stream, and deleted once its window is over.
 */
@Injectable()
export class IssuedResponses {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * The response kept, written in the statement that records TokensIssued (AlongsideWrites), so a
   * concurrent redemption that loses finds it.
   */
  async keeping(owner: KeptResponseOwner, tokens: PushedTokens, until: Date): Promise<AlongsideWrites> {
    const sealed = await KeyRing.ofSecret(owner.authReqId, RESPONSE_KEY_INFO).seal(
      new TextEncoder().encode(JSON.stringify(tokens)),
      'json',
      owner.streamId,
    );
    return {
      statements: [
        // the windows that ended go with each new one, so none outlives its window for long
        {
          name: 'ended_responses',
          sql: `DELETE FROM issued_responses WHERE expires_at <= now() AND EXISTS (SELECT FROM appending)`,
        },
        {
          name: 'kept_response',
          sql: `INSERT INTO issued_responses (stream_id, sealed_response, expires_at)
                SELECT $1::text, $2::text, $3::timestamptz WHERE EXISTS (SELECT FROM appending)`,
        },
      ],
      parameters: [owner.streamId, sealed, until],
    };
  }

  /** The response kept for the request, or null when none is (its window is over). */
  async find(owner: KeptResponseOwner): Promise<PushedTokens | null> {
    const rows: { sealed_response: string }[] = await this.dataSource.query(
      `SELECT sealed_response FROM issued_responses WHERE stream_id = $1`,
      [owner.streamId],
    );
    if (rows[0] === undefined) return null;
    const opened = await KeyRing.ofSecret(owner.authReqId, RESPONSE_KEY_INFO).open(
      rows[0].sealed_response,
      owner.streamId,
    );
    return JSON.parse(new TextDecoder().decode(opened)) as PushedTokens;
  }
}
