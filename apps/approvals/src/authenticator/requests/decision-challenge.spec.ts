import { createHash } from 'node:crypto';
import { type DecisionChallengeInput, challengeHash, decisionChallenge } from './decision-challenge.js';

const shown: DecisionChallengeInput = {
  requestId: 'req_1',
  scope: ['openid', 'email'],
  bindingMessage: 'W4SX',
  decision: 'approve',
  nonce: 'nonce-1',
};

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('decisionChallenge', () => {
  it('is the same for the same request, decision and nonce', () => {
    expect(hex(decisionChallenge({ ...shown, scope: [...shown.scope] }))).toBe(hex(decisionChallenge(shown)));
    expect(decisionChallenge(shown)).toHaveLength(32);
  });

  it.each<[string, Partial<DecisionChallengeInput>]>([
    ['another request', { requestId: 'req_2' }],
    ['another scope', { scope: ['openid', 'profile'] }],
    ['the scopes in another order', { scope: ['email', 'openid'] }],
    ['another binding message', { bindingMessage: 'W4SY' }],
    ['no binding message', { bindingMessage: null }],
    ['the binding message "null"', { bindingMessage: 'null' }],
    ['another decision', { decision: 'deny' }],
    ['"this wasn\'t me"', { decision: 'not_me' }],
    ['another nonce', { nonce: 'nonce-2' }],
  ])('changes with %s', (_what, change) => {
    expect(hex(decisionChallenge({ ...shown, ...change }))).not.toBe(hex(decisionChallenge(shown)));
  });

  it('keeps field boundaries: moving text between fields changes the challenge', () => {
    const joined = decisionChallenge({ ...shown, scope: ['openid email'] });
    const split = decisionChallenge({ ...shown, scope: ['openid', 'email'] });
    const shifted = decisionChallenge({ ...shown, requestId: 'req_1","W4SX', bindingMessage: null });
    expect(hex(joined)).not.toBe(hex(split));
    expect(hex(shifted)).not.toBe(hex(decisionChallenge(shown)));
  });

  it('is SHA-256 over the documented canonical JSON', () => {
    const canonical = '["backchannel-authenticator-decision-v1","req_1",["openid","email"],"W4SX","approve","nonce-1"]';
    expect(hex(decisionChallenge(shown))).toBe(createHash('sha256').update(canonical).digest('hex'));
  });
});

describe('challengeHash', () => {
  it('is base64url SHA-256 of the challenge bytes', () => {
    const challenge = decisionChallenge(shown);
    expect(challengeHash(challenge)).toBe(createHash('sha256').update(challenge).digest('base64url'));
    expect(challengeHash(challenge)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
