import {
  DEVICE_ACR,
  PHISHING_RESISTANT_ACR,
  achievedAcr,
  meetsRequestedAcr,
  requiresUserVerification,
} from './authentication-context.js';

const passkey = (userVerified: boolean) => ({
  method: 'webauthn' as const,
  credentialId: 'c-1',
  userVerified,
  challengeHash: 'h',
  signCount: 1,
});

describe('authentication context classes (acr)', () => {
  it('achieves phr with a user-verified passkey, the device class with the device alone, none through a channel', () => {
    expect(achievedAcr(passkey(true))).toBe(PHISHING_RESISTANT_ACR);
    expect(achievedAcr(passkey(false))).toBe(DEVICE_ACR);
    expect(achievedAcr(null)).toBe(DEVICE_ACR);
    expect(achievedAcr({ method: 'channel', channel: 'webhook' })).toBeNull();
  });

  it('takes known requested classes as the least accepted, stronger ones satisfying weaker', () => {
    expect(meetsRequestedAcr([], null)).toBe(true);
    expect(meetsRequestedAcr(['urn:other:gold'], null)).toBe(true);
    expect(meetsRequestedAcr([PHISHING_RESISTANT_ACR], DEVICE_ACR)).toBe(false);
    expect(meetsRequestedAcr([DEVICE_ACR], PHISHING_RESISTANT_ACR)).toBe(true);
    expect(meetsRequestedAcr([PHISHING_RESISTANT_ACR, DEVICE_ACR], DEVICE_ACR)).toBe(true);
    expect(meetsRequestedAcr([DEVICE_ACR], null)).toBe(false);
  });

  it('asks the authenticator for user verification when only phr will do', () => {
    expect(requiresUserVerification([PHISHING_RESISTANT_ACR])).toBe(true);
    expect(requiresUserVerification([PHISHING_RESISTANT_ACR, DEVICE_ACR])).toBe(false);
    expect(requiresUserVerification([])).toBe(false);
  });
});
