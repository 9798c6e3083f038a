import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type LifecycleContext, lifecycleMetadata } from '@backchannel/directory';
import { type EventStoreTransaction, PostgresEventStore } from '@backchannel/event-store';
import { type NewEvent, type PasskeyRevoked, userStreamId } from '@backchannel/events';
import type { NewPasskey, Passkey } from './passkey-relying-party.js';

interface PasskeyRow {
  credential_id: string;
  device_id: string;
  subject: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
}

const PASSKEY_COLUMNS = 'credential_id, device_id, subject, public_key, counter, transports';

function toPasskey(row: PasskeyRow): Passkey {
  return {
    credentialId: row.credential_id,
    deviceId: row.device_id,
    subject: row.subject,
    publicKey: new Uint8Array(row.public_key),
    counter: Number(row.counter),
    transports: row.transports,
  };
}

/** A passkey as the admin API lists it: no key material. */
export interface ListedPasskey {
  credentialId: string;
  createdAt: string;
  /** When it last signed a decision, or null. */
  lastUsedAt: string | null;
  signCount: number;
}

/** The passkeys registered through the authenticator (webauthn_credentials), one or more per device. */
@Injectable()
export class PasskeysRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
  ) {}

  /** Stores a new passkey; false when its credential id is registered already. `sql`: the transaction that creates the device. */
  async add(
    deviceId: string,
    subject: string,
    passkey: NewPasskey,
    sql: Pick<EventStoreTransaction, 'query'>,
  ): Promise<boolean> {
    const rows: unknown[] = await sql.query(
      `WITH added AS (
         INSERT INTO webauthn_credentials (${PASSKEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (credential_id) DO NOTHING
         RETURNING 1)
       SELECT * FROM added`,
      [passkey.credentialId, deviceId, subject, Buffer.from(passkey.publicKey), passkey.counter, passkey.transports],
    );
    return rows.length === 1;
  }

  async find(credentialId: string): Promise<Passkey | null> {
    const rows: PasskeyRow[] = await this.dataSource.query(
      `SELECT ${PASSKEY_COLUMNS} FROM webauthn_credentials WHERE credential_id = $1`,
      [credentialId],
    );
    return rows[0] ? toPasskey(rows[0]) : null;
  }

  async ofDevice(deviceId: string): Promise<Passkey[]> {
    const rows: PasskeyRow[] = await this.dataSource.query(
      `SELECT ${PASSKEY_COLUMNS} FROM webauthn_credentials WHERE device_id = $1 ORDER BY created_at, credential_id`,
      [deviceId],
    );
    return rows.map(toPasskey);
  }

  /**
   * Keeps the highest signature counter seen, and when the passkey was used, in the transaction
   * that records the decision it signed.
   */
  async recordUse(tx: EventStoreTransaction, credentialId: string, counter: number, usedAt: Date): Promise<void> {
    await tx.query(
      `UPDATE webauthn_credentials SET counter = GREATEST(counter, $2), last_used_at = $3 WHERE credential_id = $1`,
      [credentialId, counter, usedAt],
    );
  }

  /** The device's passkeys, oldest first. */
  async listOfDevice(deviceId: string): Promise<ListedPasskey[]> {
    const rows: { credential_id: string; created_at: Date; last_used_at: Date | null; counter: string }[] =
      await this.dataSource.query(
        `SELECT credential_id, created_at, last_used_at, counter FROM webauthn_credentials
         WHERE device_id = $1 ORDER BY created_at, credential_id`,
        [deviceId],
      );
    return rows.map((row) => ({
      credentialId: row.credential_id,
      createdAt: row.created_at.toISOString(),
      lastUsedAt: row.last_used_at?.toISOString() ?? null,
      signCount: Number(row.counter),
    }));
  }

  /**
   * Revokes one passkey of the user's device: it signs no decision any more, at once in every
   * replica, and PasskeyRevoked records it with the actor in the same transaction. The device
   * stays; with no passkey left it must enrol again. False when the device has no such passkey.
   */
  async revoke(subject: string, deviceId: string, credentialId: string, context: LifecycleContext): Promise<boolean> {
    const event: NewEvent<PasskeyRevoked> = {
      type: 'PasskeyRevoked',
      schemaVersion: 1,
      data: { subject, deviceId, credentialId, revokedAt: context.now.toISOString() },
      metadata: lifecycleMetadata(context),
    };
    return this.store.transaction(async (tx) => {
      const revoked: unknown[] = await tx.query(
        `WITH revoked AS (
           DELETE FROM webauthn_credentials WHERE credential_id = $1 AND device_id = $2 AND subject = $3 RETURNING 1)
         SELECT 1 FROM revoked`,
        [credentialId, deviceId, subject],
      );
      if (revoked.length === 0) return false;
      await tx.appendToStream(userStreamId(subject), 'any', [event]);
      return true;
    });
  }
}
