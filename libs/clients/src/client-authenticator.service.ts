import type { X509Certificate } from 'node:crypto';
import { PayloadSealer, SealedPayloadError } from '@backchannel/crypto';
import { type ClientPublicJwk, clientStreamId } from '@backchannel/events';
import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig, mtlsEndpointAliases, publicEndpoints } from '@backchannel/config';
import { CIBA_GRANT_TYPE, InvalidClient, InvalidRequest, UnauthorizedClient } from '@backchannel/oauth';
import { verifyClientAssertion } from './client-assertion.js';
import { ClientKeySets, ClientKeysUnavailable, NoMatchingClientKey } from './client-key-sets.js';
import { TrustedClientCas, certificateAuthenticates, certificateThumbprint } from './client-certificate.js';
import { CLIENT_AUTHENTICATION_FAILED, parseClientCredentials, verifyClientCredentials } from './client-credentials.js';
import { ClientRegistry } from './client-registry.service.js';
import { type RegisteredClient, clientEnabled } from './registered-client.js';
import { assertFapiCibaClientAuthentication } from './fapi-ciba-profile.js';
import { SpentClientJwts } from './spent-client-jwts.js';

/** What a request presents to authenticate its client (an OAuthFormRequest has all of it). */
export interface PresentedCredentials {
  authorization: string | undefined;
  params: ReadonlyMap<string, string>;
  clientCertificate: X509Certificate | null;
  now: Date;
}

/** RFC 8705 §3.1: the confirmation claim binding an access token to a certificate. */
export interface CertificateConfirmation {
  'x5t#S256': string;
}

/** Client authentication (at /bc-authorize, /token, /introspect, /revoke), by whichever method the client registered. */
@Injectable()
export class ClientAuthenticator {
  private readonly logger = new Logger(ClientAuthenticator.name);
  /** What a client assertion's `aud` may name: this server, or either endpoint, or their mTLS aliases (checklist C.5). */
  private readonly assertionAudiences: readonly string[];
  private readonly trustedCas: TrustedClientCas;

  constructor(
    private readonly registry: ClientRegistry,
    private readonly spentJwts: SpentClientJwts,
    private readonly keySets: ClientKeySets,
    private readonly sealer: PayloadSealer,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    const endpoints = [publicEndpoints(config.issuer), mtlsEndpointAliases(config.mtls)].filter((e) => e !== null);
    this.assertionAudiences = [
      config.issuer,
      ...endpoints.flatMap((endpoint) => [
        endpoint.token,
        endpoint.backchannelAuthentication,
        endpoint.introspection,
        endpoint.revocation,
      ]),
    ];
    const { clientCaFile } = config.mtls;
    this.trustedCas = new TrustedClientCas(clientCaFile === null ? null : readFileSync(clientCaFile, 'utf8'));
  }

  /**
   * The authenticated client, or InvalidRequest / InvalidClient, at every endpoint that
   * authenticates clients: a client under the FAPI-CIBA profile only by the profile's methods.
   */
  async authenticate(presented: PresentedCredentials): Promise<RegisteredClient> {
    const client = await this.authenticateByRegisteredMethod(presented);
    // told only to whoever proved to be the client
    if (!clientEnabled(client)) throw new InvalidClient('The client is disabled.');
    assertFapiCibaClientAuthentication(client);
    return client;
  }

  /** As authenticate, for the CIBA endpoints: the client must also be registered for the CIBA grant. */
  async authenticateCibaClient(presented: PresentedCredentials): Promise<RegisteredClient> {
    const client = await this.authenticate(presented);
    if (!client.metadata.grant_types.includes(CIBA_GRANT_TYPE)) {
      throw new UnauthorizedClient('The client is not registered for the CIBA grant.');
    }
    return client;
  }

  private async authenticateByRegisteredMethod(presented: PresentedCredentials): Promise<RegisteredClient> {
    const credentials = parseClientCredentials(presented.authorization, presented.params);
    const client = await this.registry.find(credentials.clientId);
    if (credentials.method === 'tls_client_certificate') {
      const { clientCertificate: certificate, now } = presented;
      if (client === null || certificate === null || !(await this.certificateAuthenticates(client, certificate, now))) {
        throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED);
      }
      return client;
    }
    if (credentials.method !== 'client_assertion') return verifyClientCredentials(client, credentials, presented.now);

    const { now } = presented;
    const verified = await verifyClientAssertion(client, credentials.assertion, {
      audiences: this.assertionAudiences,
      keySets: this.keySets,
      secretKey: (asserting) => this.secretKey(asserting),
      now,
    });
    if (!(await this.spentJwts.spend(verified.client.clientId, 'assertion', verified.jti, verified.expiresAt, now))) {
      throw new InvalidClient('The client assertion was already used: each jti is accepted once.');
    }
    return verified.client;
  }

  /**
   * A client_secret_jwt client's secret, opened from its seal: the key its assertions are MACed
   * with. A seal no key of the ring opens (its key-encryption key was removed too early) is the
   * operator's to fix: logged, and the client is refused like any failed authentication.
   */
  private async secretKey(client: RegisteredClient): Promise<Uint8Array> {
    if (client.sealedSecret === null) throw new Error(`client ${client.clientId} has no sealed secret`);
    try {
      return new TextEncoder().encode(
        await this.sealer.open<string>(client.sealedSecret, clientStreamId(client.clientId)),
      );
    } catch (error) {
      if (!(error instanceof SealedPayloadError)) throw error;
      this.logger.error(`the secret of client ${client.clientId} cannot be opened: ${error.message}`);
      throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED);
    }
  }

  /** A self-signed certificate is looked for among the client's keys, which may come from its jwks_uri. */
  private async certificateAuthenticates(
    client: RegisteredClient,
    certificate: X509Certificate,
    now: Date,
  ): Promise<boolean> {
    if (client.metadata.token_endpoint_auth_method !== 'self_signed_tls_client_auth') {
      return certificateAuthenticates(client, certificate, this.trustedCas, now, null);
    }
    try {
      return await this.keySets.verifyWith(client, async (jwks) => {
        if (certificateAuthenticates(client, certificate, this.trustedCas, now, jwks.keys as ClientPublicJwk[]))
          return true;
        throw new NoMatchingClientKey('no registered certificate matches');
      });
    } catch (error) {
      if (error instanceof NoMatchingClientKey || error instanceof ClientKeysUnavailable) return false;
      throw error;
    }
  }

  /**
   * RFC 8705 §3: the `cnf` of the client's access tokens, from the certificate of this request;
   * null for bearer tokens. A client registered for bound tokens must present its certificate.
   */
  accessTokenConfirmation(client: RegisteredClient, presented: PresentedCredentials): CertificateConfirmation | null {
    if (!client.metadata.tls_client_certificate_bound_access_tokens) return null;
    if (presented.clientCertificate === null) {
      throw new InvalidRequest(
        "This client's access tokens are bound to its TLS client certificate: present the certificate with the request.",
      );
    }
    return { 'x5t#S256': certificateThumbprint(presented.clientCertificate) };
  }
}
