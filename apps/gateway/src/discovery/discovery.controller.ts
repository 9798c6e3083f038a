import { Controller, Get, Header, Inject } from '@nestjs/common';
import { SUPPORTED_DELIVERY_MODES } from '@backchannel/clients';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { SigningKeys } from '@backchannel/crypto';
import { CIBA_GRANT_TYPE } from '@backchannel/oauth';

/** OpenID Provider metadata with the CIBA members (checklist A), and the public signing keys. */
@Controller()
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;

  constructor(
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
    private readonly keys: SigningKeys,
  ) {
    const { issuer } = config;
    this.metadata = {
      issuer,
      backchannel_authentication_endpoint: `${issuer}/bc-authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      grant_types_supported: [CIBA_GRANT_TYPE],
      backchannel_token_delivery_modes_supported: SUPPORTED_DELIVERY_MODES,
      backchannel_user_code_parameter_supported: false,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['openid'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'jti'],
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
