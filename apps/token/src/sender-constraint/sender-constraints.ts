import type { X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ClientAuthenticator, type RegisteredClient, certificateThumbprint } from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig, mtlsEndpointAliases, publicEndpoints } from '@backchannel/config';
import type { VerifiedDpopProof } from '@backchannel/crypto';
import type { AccessTokenConfirmation } from '@backchannel/events';
import type { OAuthFormRequest } from '@backchannel/http';
import { InvalidDpopProof, InvalidToken } from '@backchannel/oauth';
import { DpopProofs } from './dpop-proofs.js';

/** An access token presented at a protected resource (userinfo), with what came with it. */
export interface ResourceRequest {
  accessToken: string;
  /** The Authorization scheme it came with. */
  scheme: 'Bearer' | 'DPoP';
  method: string;
  dpopProof?: string | readonly string[];
  clientCertificate: X509Certificate | null;
  now: Date;
}

/**
 * What the token endpoint binds tokens to (their `cnf`), and the check that a refresh comes from
 * the holder of what its family is bound to: the client's TLS certificate (RFC 8705) when it
 * registered for certificate-bound tokens, the key of the DPoP proof sent with the request
 * (RFC 9449), or both.
 */
@Injectable()
export class SenderConstraints {
  private readonly tokenEndpointUrls: string[];
  private readonly userinfoUrls: string[];

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly dpop: DpopProofs,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    const endpoints = [publicEndpoints(config.issuer), mtlsEndpointAliases(config.mtls)].filter((e) => e !== null);
    this.tokenEndpointUrls = endpoints.map((endpoint) => endpoint.token);
    this.userinfoUrls = endpoints.map((endpoint) => endpoint.userinfo);
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

  /**
   * RFC 9449 §7 and RFC 8705 §3: a bound access token is accepted at a resource only from its
   * holder: a DPoP-bound one with the DPoP scheme and a proof of its key for this request and
   * token, a certificate-bound one over a connection presenting its certificate. Throws otherwise.
   */
  async assertPresentedByHolder(confirmation: AccessTokenConfirmation | null, request: ResourceRequest): Promise<void> {
    const jkt = confirmation?.jkt;
    if (jkt === undefined && request.scheme === 'DPoP') {
      throw new InvalidToken('This access token is not DPoP-bound: present it with the Bearer scheme.');
    }
    if (jkt !== undefined) {
      if (request.scheme !== 'DPoP') {
        throw new InvalidToken('This access token is DPoP-bound: present it with the DPoP scheme and a DPoP proof.');
      }
      if (request.dpopProof === undefined) throw new InvalidDpopProof('A DPoP proof is required.', 401);
      const proof = await this.dpop.verify(
        {
          proof: request.dpopProof,
          method: request.method,
          urls: this.userinfoUrls,
          now: request.now,
          accessToken: request.accessToken,
        },
        401,
      );
      if (proof.jkt !== jkt) {
        throw new InvalidDpopProof('The DPoP proof is not signed by the key the access token is bound to.', 401);
      }
    }
    const certificateBound = confirmation?.['x5t#S256'];
    if (
      certificateBound !== undefined &&
      (request.clientCertificate === null || certificateThumbprint(request.clientCertificate) !== certificateBound)
    ) {
      throw new InvalidToken('This access token is bound to a TLS client certificate this request did not present.');
    }
  }

  /** The nonce an answer names in `DPoP-Nonce` when the request carried a proof. */
  nonceFor(request: Pick<OAuthFormRequest, 'dpopProof' | 'now'>): string | null {
    return request.dpopProof === undefined ? null : this.dpop.currentNonce(request.now);
  }

  private async proofOf(input: OAuthFormRequest): Promise<VerifiedDpopProof | null> {
    if (input.dpopProof === undefined) return null;
    return this.dpop.verify(
      { proof: input.dpopProof, method: 'POST', urls: this.tokenEndpointUrls, now: input.now },
      400,
    );
  }
}
