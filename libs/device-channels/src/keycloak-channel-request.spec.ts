import { SAMPLE_REQUEST as request } from '@backchannel/testing';
import { keycloakChannelRequest } from './keycloak-channel-request.js';

describe("Keycloak's authentication channel request", () => {
  it('has exactly the fields of AuthenticationChannelRequest, with space-separated lists', () => {
    expect(keycloakChannelRequest(request, 'alice')).toEqual({
      scope: 'openid email',
      binding_message: 'W4SX',
      login_hint: 'alice',
      is_consent_required: true,
      acr_values: 'urn:mace:incommon:iap:silver',
    });
  });

  it('leaves out what the request does not have, as Keycloak leaves out nulls', () => {
    const body = keycloakChannelRequest({ ...request, bindingMessage: null, acrValues: [] }, 'alice');

    expect(body).toEqual({ scope: 'openid email', login_hint: 'alice', is_consent_required: true });
  });

  it('never carries the client notification target or any credential', () => {
    expect(JSON.stringify(keycloakChannelRequest(request, 'alice'))).not.toMatch(/sealed|client\.example|secret/);
  });
});
