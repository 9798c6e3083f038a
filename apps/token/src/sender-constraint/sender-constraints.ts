import { Inject, Injectable } from '@nestjs/common';
import { ClientAuthenticator, type RegisteredClient, certificateThumbprint } from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig, mtlsEndpointAliases, publicEndpoints } from '@backchannel/config';
import type { VerifiedDpopProof } from '@backchannel/crypto';
import type { AccessTokenConfirmation } from '@backchannel/events';
import type { OAuthFormRequest } from '@backchannel/http';
import { InvalidDpopProof } from '@backchannel/oauth';
import { DpopProofs } from './dpop-proofs.js';

/**
 * What the token endpoint binds tokens to (their `cnf`), and the check that a refresh comes from
 * the holder of what its family is bound to: the client's TLS certificate (RFC 8705) when it
 * registered for certificate-bound tokens, the key of the DPoP proof sent with the request
 * (RFC 9449), or both.
 */
@Injectable()
export class SenderConstraints {
  private readonly tokenEndpointUrls: string[];

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly dpop: DpopProofs,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.tokenEndpointUrls = [publicEndpoints(config.issuer), mtlsEndpointAliases(config.mtls)]
      .filter((endpoints) => endpoints !== null)
      .map((endpoints) => endpoints.token);
  }

  /** The `cnf` of the tokens a token request gets; null for bearer tokens. */
  async confirmationFor(client: RegisteredClient, input: OAuthFormRequest): Promise<AccessTokenConfirmation | null> {
    const certificate = this.clients.accessTokenConfirmation(client, input);
    const proof = await this.proofOf(input);
    if (proof === null && client.metadata.dpop_bound_access_tokens) {
      throw new InvalidDpopProof(
        "This client's access tokens are DPoP-bound: send a DPoP proof with each token request.",
      );
    }
    if (certificate === null && proof === null) return null;
    return { ...certificate, ...(proof && { jkt: proof.jkt }) };
  }

  /**
   * Whether a refresh request presents what its family is bound to. A DPoP proof sent with it is
   * verified (and spent) whatever the family's binding; a family bound to a DPoP key needs one.
   */
  async presentedBy(confirmation: AccessTokenConfirmation | null, input: OAuthFormRequest): Promise<boolean> {
    const proof = await this.proofOf(input);
    if (confirmation === null) return true;
    const { 'x5t#S256': certificateThumbprintBound, jkt } = confirmation;
    if (certificateThumbprintBound !== undefined) {
      if (
        input.clientCertificate === null ||
        certificateThumbprint(input.clientCertificate) !== certificateThumbprintBound
      )
        return false;
    }
    if (jkt !== undefined) {
      if (proof === null)
        throw new InvalidDpopProof('This refresh token is DPoP-bound: send a DPoP proof with the request.');
      if (proof.jkt !== jkt) return false;
    }
    return true;
  }

  /** The nonce a token response names in `DPoP-Nonce` when the request carried a proof. */
  nonceFor(input: OAuthFormRequest): string | null {
    return input.dpopProof === undefined ? null : this.dpop.currentNonce(input.now);
  }

  private async proofOf(input: OAuthFormRequest): Promise<VerifiedDpopProof | null> {
    if (input.dpopProof === undefined) return null;
    return this.dpop.verify(
      { proof: input.dpopProof, method: 'POST', urls: this.tokenEndpointUrls, now: input.now },
      400,
    );
  }
}
