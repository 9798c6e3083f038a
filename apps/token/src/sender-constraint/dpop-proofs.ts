import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { DpopNonces, DpopProofError, type VerifiedDpopProof, verifyDpopProof } from '@backchannel/crypto';
import { InvalidDpopProof, UseDpopNonce } from '@backchannel/oauth';
import { SpentDpopProofs } from './spent-dpop-proofs.repository.js';

/** The request a DPoP proof came with. */
export interface DpopPresentation {
  /** The DPoP header as received. */
  proof: string | readonly string[];
  method: string;
  /** The endpoint's public URLs (and mTLS aliases): the proof's htu must name one. */
  urls: readonly string[];
  now: Date;
  /** At a protected resource, the access token the proof must hash (`ath`). */
  accessToken?: string;
}

/**
 * DPoP proofs (RFC 9449) as the token service's endpoints accept them: verified for the request,
 * with the server's nonce when configured, and spent, so a proof is accepted once by any replica.
 * Refusals are OAuth errors: 400 at the token endpoint, 401 with a DPoP challenge at a resource.
 */
@Injectable()
export class DpopProofs {
  private readonly requireNonce: boolean;

  constructor(
    private readonly nonces: DpopNonces,
    private readonly spent: SpentDpopProofs,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.requireNonce = config.dpopRequireNonce;
  }

  /** The nonce to send in `DPoP-Nonce`, null when nonces are not required. */
  currentNonce(now: Date): string | null {
    return this.requireNonce ? this.nonces.current(now) : null;
  }

  async verify(presentation: DpopPresentation, status: 400 | 401): Promise<VerifiedDpopProof> {
    const { proof, now, ...request } = presentation;
    let verified: VerifiedDpopProof;
    try {
      verified = await verifyDpopProof(proof, { ...request, now, ...(this.requireNonce && { nonces: this.nonces }) });
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      if (error.reason === 'use_dpop_nonce') throw new UseDpopNonce(error.message, this.nonces.current(now), status);
      throw new InvalidDpopProof(error.message, status);
    }
    if (!(await this.spent.spend(verified.jkt, verified.jti, verified.acceptedUntil))) {
      throw new InvalidDpopProof('The DPoP proof has been used before: send a new proof with each request.', status);
    }
    return verified;
  }
}
