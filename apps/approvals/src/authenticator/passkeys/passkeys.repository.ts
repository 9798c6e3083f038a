import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventStoreTransaction } from '@backchannel/event-store';
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

/** The passkeys registered through the authenticator (webauthn_credentials), one or more per device. */
@Injectable()
export class PasskeysRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Stores a new passkey; false when its credential id is registered already. `sql`: the transaction that creates the device. */
  async add(
    deviceId: string,
    subject: string,
    passkey: NewPasskey,
    sql: Pick<DataSource, 'query'> = this.dataSource,
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

  /** Keeps the highest signature counter seen, in the transaction that records the decision it signed. */
  async recordCounter(tx: EventStoreTransaction, credentialId: string, counter: number): Promise<void> {
    await tx.query(`UPDATE webauthn_credentials SET counter = GREATEST(counter, $2) WHERE credential_id = $1`, [
      credentialId,
      counter,
    ]);
  }
}
