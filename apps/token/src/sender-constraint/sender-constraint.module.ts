import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { DpopProofs } from './dpop-proofs.js';
import { CreateSpentDpopProofs1765300000200 } from './migrations/1765300000200-create-spent-dpop-proofs.js';
import { SenderConstraints } from './sender-constraints.js';
import { SpentDpopProofs } from './spent-dpop-proofs.repository.js';

/** Sender-constrained tokens: DPoP proofs (and their spent jtis) and the token endpoint's binding rules. */
@Module({
  imports: [ClientsModule],
  providers: [SpentDpopProofs, DpopProofs, SenderConstraints],
  exports: [DpopProofs, SenderConstraints],
})
export class SenderConstraintModule {
  static readonly migrations: readonly Migration[] = [CreateSpentDpopProofs1765300000200];
  static readonly retention: readonly RetentionRule[] = [{ table: 'spent_dpop_proofs', endedAt: 'expires_at' }];
}
