import { createHash } from 'node:crypto';
import type { ConsentView } from './consent-wording.js';
import { type DecisionChallengeInput, challengeHash, decisionChallenge } from './decision-challenge.js';

const consent: ConsentView = {
  scopes: [
    { scope: 'openid', description: 'Confirm who you are' },
    { scope: 'email', description: 'Your email address' },
  ],
  authorization_details: [],
  claims: [],
};

const shown: DecisionChallengeInput = {
  requestId: 'req_1',
  consent,
  bindingMessage: 'W4SX',
  decision: 'approve',
  nonce: 'nonce-1',
};

const payment = {
  type: 'payment_initiation',
  description: 'Make a payment',
  fields: [{ label: 'Instructed amount', value: 'Currency: EUR; Amount: 123.50' }],
  detail: { type: 'payment_initiation', instructedAmount: { currency: 'EUR', amount: '123.50' } },
};

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const withConsent = (change: Partial<ConsentView>): Partial<DecisionChallengeInput> => ({
  consent: { ...consent, ...change },
});

describe('decisionChallenge', () => {
  it('is the same for the same request, decision and nonce', () => {
    expect(hex(decisionChallenge({ ...shown, consent: structuredClone(consent) }))).toBe(hex(decisionChallenge(shown)));
    expect(decisionChallenge(shown)).toHaveLength(32);
  });

  it('does not depend on the order of an object’s members (jsonb reorders them)', () => {
    const reordered = {
      ...payment,
      detail: { instructedAmount: { amount: '123.50', currency: 'EUR' }, type: 'payment_initiation' },
    };
    expect(hex(decisionChallenge({ ...shown, ...withConsent({ authorization_details: [reordered] }) }))).toBe(
      hex(decisionChallenge({ ...shown, ...withConsent({ authorization_details: [payment] }) })),
    );
  });

  it.each<[string, Partial<DecisionChallengeInput>]>([
    ['another request', { requestId: 'req_2' }],
    ['another scope', withConsent({ scopes: [{ scope: 'openid', description: 'Confirm who you are' }] })],
    ['the scopes in another order', withConsent({ scopes: [...consent.scopes].reverse() })],
    [
      'another description of a scope',
      withConsent({ scopes: [consent.scopes[0]!, { scope: 'email', description: 'Read your mail' }] }),
    ],
    ['an authorization detail', withConsent({ authorization_details: [payment] })],
    [
      'another amount in an authorization detail',
      withConsent({
        authorization_details: [
          { ...payment, detail: { ...payment.detail, instructedAmount: { currency: 'EUR', amount: '9999' } } },
        ],
      }),
    ],
    ['a claim asked for', withConsent({ claims: [{ claim: 'birthdate', description: 'Your date of birth' }] })],
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
    const shifted = decisionChallenge({ ...shown, requestId: 'req_1","W4SX', bindingMessage: null });
    expect(hex(shifted)).not.toBe(hex(decisionChallenge(shown)));
  });

  it('is SHA-256 over the documented canonical JSON (members sorted)', () => {
    const canonical =
      '["backchannel-authenticator-decision-v2","req_1",{"authorization_details":[],"claims":[],"scopes":' +
      '[{"description":"Confirm who you are","scope":"openid"},{"description":"Your email address","scope":"email"}]},' +
      '"W4SX","approve","nonce-1"]';
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
