import type { AuthRequestEvent, Decider } from '@backchannel/events';
import { decide, type AuthRequestCommand, type AuthRequestRejection } from './auth-request.decisions.js';
import { evolve, initialState, type AuthRequestState } from './auth-request.facts.js';

export const authRequestDecider: Decider<AuthRequestCommand, AuthRequestState, AuthRequestEvent, AuthRequestRejection> =
  { decide, evolve, initialState };
