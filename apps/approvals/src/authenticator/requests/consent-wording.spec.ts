import { RESERVED_SCOPES } from '@backchannel/oauth';
import type { UserRequest } from '@backchannel/user-requests';
import { consentView, describeScope } from './consent-wording.js';

const request: UserRequest = {
  requestId: 'req_1',
  streamId: 'auth-request-1',
  subject: 'alice',
  clientId: 'client-1',
  clientName: 'Bank',
  scope: ['openid', 'payments', 'accounts:read'],
  bindingMessage: null,
  acrValues: [],
  authorizationDetails: null,
  requestedClaims: null,
  wording: null,
  createdAt: new Date(0),
  expiresAt: new Date(60_000),
  answeredAt: null,
};

describe('describeScope', () => {
  it.each([
    ['openid', 'Confirm who you are'],
    ['profile', 'Your name and profile'],
    ['email', 'Your email address'],
    ['phone', 'Your phone number'],
    ['address', 'Your postal address'],
    ['offline_access', 'Keep access when you are not using it'],
  ])('words %s plainly', (scope, words) => {
    expect(describeScope(scope)).toBe(words);
  });

  // an API scope's words are defined by an admin, and a reserved scope cannot be: only the server words it
  it.each(RESERVED_SCOPES)('has words of its own for the reserved scope %s', (scope) => {
    expect(describeScope(scope)).not.toBe(scope);
  });

  it.each(['payments:read', 'EMAIL', 'constructor', '__proto__', 'toString'])(
    'shows the unknown scope %s as requested',
    (scope) => {
      expect(describeScope(scope)).toBe(scope);
    },
  );

  it('uses an API scope’s description, never for a standard scope', () => {
    expect(describeScope('payments', { payments: 'Make payments from your accounts' })).toBe(
      'Make payments from your accounts',
    );
    expect(describeScope('email', { email: 'Something else' })).toBe('Your email address');
  });
});

describe('consentView', () => {
  it('words the scopes with the descriptions recorded with the request', () => {
    const view = consentView({
      ...request,
      wording: { scopes: { payments: 'Make payments from your accounts' }, authorizationDetailTypes: {} },
    });
    expect(view.scopes).toEqual([
      { scope: 'openid', description: 'Confirm who you are' },
      { scope: 'payments', description: 'Make payments from your accounts' },
      { scope: 'accounts:read', description: 'accounts:read' },
    ]);
    expect(view.authorization_details).toEqual([]);
    expect(view.claims).toEqual([]);
  });

  it('shows each authorization detail with its type’s description and its fields in plain words', () => {
    const detail = {
      type: 'payment_initiation',
      actions: ['initiate', 'status'],
      locations: ['https://bank.example/payments'],
      instructedAmount: { currency: 'EUR', amount: '123.50' },
      creditorName: 'Merchant A',
      remittance_information: ['Ref 1', 'Ref 2'],
    };
    const view = consentView({
      ...request,
      authorizationDetails: [detail, { type: 'account_information' }],
      wording: { scopes: {}, authorizationDetailTypes: { payment_initiation: 'Make a payment' } },
    });
    expect(view.authorization_details).toEqual([
      {
        type: 'payment_initiation',
        description: 'Make a payment',
        fields: [
          { label: 'Actions', value: 'initiate, status' },
          { label: 'Where', value: 'https://bank.example/payments' },
          { label: 'Instructed amount', value: 'Currency: EUR; Amount: 123.50' },
          { label: 'Creditor name', value: 'Merchant A' },
          { label: 'Remittance information', value: 'Ref 1, Ref 2' },
        ],
        detail,
      },
      {
        type: 'account_information',
        description: 'account_information',
        fields: [],
        detail: { type: 'account_information' },
      },
    ]);
  });

  it('lists the claims asked for one by one, once each, in plain words', () => {
    const view = consentView({
      ...request,
      requestedClaims: { userinfo: ['birthdate', 'email', 'x-custom'], id_token: ['email', 'given_name'] },
    });
    expect(view.claims).toEqual([
      { claim: 'birthdate', description: 'Your date of birth' },
      { claim: 'email', description: 'Your email address' },
      { claim: 'x-custom', description: 'x-custom' },
      { claim: 'given_name', description: 'Your first name' },
    ]);
  });
});
