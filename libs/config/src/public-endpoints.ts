/** The public URLs of the endpoints clients call, as discovery announces them. */
export interface PublicEndpoints {
  backchannelAuthentication: string;
  token: string;
  jwks: string;
}

export function publicEndpoints(issuer: string): PublicEndpoints {
  return {
    backchannelAuthentication: `${issuer}/bc-authorize`,
    token: `${issuer}/token`,
    jwks: `${issuer}/jwks`,
  };
}
