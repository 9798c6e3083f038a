/** The public URLs of the endpoints clients call, as discovery announces them. */
export interface PublicEndpoints {
  backchannelAuthentication: string;
  token: string;
  jwks: string;
  introspection: string;
  revocation: string;
  userinfo: string;
}

export function publicEndpoints(issuer: string): PublicEndpoints {
  return {
    backchannelAuthentication: `${issuer}/bc-authorize`,
    token: `${issuer}/token`,
    jwks: `${issuer}/jwks`,
    introspection: `${issuer}/introspect`,
    revocation: `${issuer}/revoke`,
    userinfo: `${issuer}/userinfo`,
  };
}

/**
 * RFC 8705 §5: where clients using mTLS call, when that is not the issuer (MTLS_ENDPOINT_BASE_URL),
 * e.g. a host whose TLS terminator asks for client certificates; null when they call the usual URLs.
 */
export function mtlsEndpointAliases(mtls: { endpointBaseUrl: string | null }): PublicEndpoints | null {
  return mtls.endpointBaseUrl === null ? null : publicEndpoints(mtls.endpointBaseUrl);
}
