import { Controller, Get, Header, Inject } from '@nestjs/common';
import {
  ASSERTION_ALGORITHMS,
  CLIENT_SIGNING_ALGORITHMS,
  FAPI_CIBA_ALGORITHMS,
  SUPPORTED_DELIVERY_MODES,
  supportedAuthMethods,
} from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig, mtlsEndpointAliases, publicEndpoints } from '@backchannel/config';
import { DPOP_SIGNING_ALGORITHMS, SigningKeys } from '@backchannel/crypto';
import { SUPPORTED_ACR_VALUES } from '@backchannel/auth-request';
import { USERINFO_CLAIMS } from '@backchannel/directory';
import { CIBA_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE, STANDARD_SCOPES } from '@backchannel/oauth';

/** OpenID Provider metadata with the CIBA members (checklist A), and the public signing keys. */
@Controller()
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;

  constructor(
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
    private readonly keys: SigningKeys,
  ) {
    const { issuer, mtls, fapiCiba } = config;
    // Under FAPI-CIBA (checklist A-7) only its methods, algorithms and modes are announced.
    const signingAlgorithms = fapiCiba ? FAPI_CIBA_ALGORITHMS : CLIENT_SIGNING_ALGORITHMS;
    const endpoints = publicEndpoints(issuer);
    // RFC 8705 §5: where mTLS clients call; the usual endpoints when no separate host is set
    const aliases = mtlsEndpointAliases(mtls) ?? endpoints;
    // One list for every endpoint that authenticates clients: CIBA authenticates the client at
    // /bc-authorize as at /token, introspection and revocation. HS256 is client_secret_jwt's alone
    // (a MAC with the secret); keys sign with the others.
    const authMethods = supportedAuthMethods(mtls, fapiCiba);
    const assertionAlgorithms = fapiCiba ? FAPI_CIBA_ALGORITHMS : ASSERTION_ALGORITHMS;
    this.metadata = {
      issuer,
      backchannel_authentication_endpoint: endpoints.backchannelAuthentication,
      token_endpoint: endpoints.token,
      jwks_uri: endpoints.jwks,
      introspection_endpoint: endpoints.introspection,
      revocation_endpoint: endpoints.revocation,
      userinfo_endpoint: endpoints.userinfo,
      registration_endpoint: `${issuer}/register`,
      grant_types_supported: [CIBA_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE],
      backchannel_token_delivery_modes_supported: fapiCiba
        ? SUPPORTED_DELIVERY_MODES.filter((mode) => mode !== 'push')
        : SUPPORTED_DELIVERY_MODES,
      backchannel_user_code_parameter_supported: true,
      backchannel_authentication_request_signing_alg_values_supported: signingAlgorithms,
      token_endpoint_auth_methods_supported: authMethods,
      token_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
      introspection_endpoint_auth_methods_supported: authMethods,
      introspection_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
      revocation_endpoint_auth_methods_supported: authMethods,
      revocation_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
      // RFC 8705 §3.3 and §5: certificate-bound tokens wherever client certificates reach us
      ...(mtls.enabled && { tls_client_certificate_bound_access_tokens: true }),
      // RFC 9449 §5.1: DPoP proofs at the token endpoint
      dpop_signing_alg_values_supported: DPOP_SIGNING_ALGORITHMS,
      ...(mtls.enabled && {
        mtls_endpoint_aliases: {
          token_endpoint: aliases.token,
          backchannel_authentication_endpoint: aliases.backchannelAuthentication,
          introspection_endpoint: aliases.introspection,
          revocation_endpoint: aliases.revocation,
          userinfo_endpoint: aliases.userinfo,
        },
      }),
      // no authorization endpoint: CIBA clients use no response type (RFC 8414 asks for the member)
      response_types_supported: [],
      scopes_supported: STANDARD_SCOPES,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      claims_supported: [
        ...new Set([
          'iss',
          'sub',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'jti',
          'at_hash',
          'acr',
          'amr',
          ...USERINFO_CLAIMS,
        ]),
      ],
      // known classes requested in acr_values are the least an approval must achieve (see authentication-context.ts)
      acr_values_supported: SUPPORTED_ACR_VALUES,
      // OIDC Core §5.5 at /bc-authorize: claim names are honoured, values are not matched
      claims_parameter_supported: true,
      // RFC 8707 resource indicators at /bc-authorize and /token; RFC 9396 authorization_details at
      // /bc-authorize, each client limited to its registered authorization_details_types
      // (authorization_details_types_supported is left out: the types are each client's, not the server's)
    };
  }

  @Get('.well-known/openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  configuration(): Record<string, unknown> {
    return this.metadata;
  }

  @Get('jwks')
  @Header('Cache-Control', 'public, max-age=300')
  @Header('Content-Type', 'application/jwk-set+json')
  async jwks(): Promise<unknown> {
    return this.keys.jwks();
  }
}
