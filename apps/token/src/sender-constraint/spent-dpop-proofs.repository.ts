import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Accepted DPoP proofs, so that none is accepted twice, by any replica (RFC 9449 §11.1). */
@Injectable()
export class SpentDpopProofs {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Records the proof as spent: false when it already was (a replay). */
  async spend(jkt: string, jti: string, acceptedUntil: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO spent_dpop_proofs (jkt, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (jkt, jti) DO NOTHING RETURNING 1`,
      [jkt, jti, acceptedUntil],
    );
    return rows.length === 1;
  }
}
