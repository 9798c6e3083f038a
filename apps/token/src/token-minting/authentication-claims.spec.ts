import type { AuthenticationEvidence } from '@backchannel/events';
import { authenticationClaims } from './authentication-claims.js';

const passkey = (userVerified: boolean): AuthenticationEvidence => ({
  method: 'webauthn',
  credentialId: 'credential-1',
  userVerified,
  challengeHash: 'hash',
  signCount: 3,
});

describe('authenticationClaims', () => {
  it('claims a key, user presence and verification (mfa) and phishing-resistant acr for a user-verified passkey', () => {
    expect(authenticationClaims(passkey(true))).toEqual({ amr: ['hwk', 'user', 'mfa'], acr: 'phr' });
  });

  it('claims a key and user presence only, and the device acr, for a passkey used without user verification', () => {
    expect(authenticationClaims(passkey(false))).toEqual({ amr: ['hwk', 'user'], acr: 'urn:backchannel:acr:device' });
  });

  it('claims nothing for an external channel, which does not say how it authenticated the user', () => {
    expect(authenticationClaims({ method: 'channel', channel: 'keycloak-http' })).toEqual({});
  });

  it('claims the device acr for the device API (no evidence): the registered device approved', () => {
    expect(authenticationClaims(null)).toEqual({ acr: 'urn:backchannel:acr:device' });
  });
});
