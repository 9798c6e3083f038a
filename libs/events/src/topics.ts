import { isAuthRequestStream } from './auth-request.events.js';
import { isConsentVocabularyStream } from './consent-vocabulary.events.js';
import { isInitialAccessTokenStream } from './initial-access-token.events.js';
import { isUserStream } from './user.events.js';

/** Kafka topics. Messages are keyed by stream id so one stream's events stay ordered. */
export const Topics = {
  authRequests: 'backchannel.auth-requests.v1',
  clients: 'backchannel.clients.v1',
  users: 'backchannel.users.v1',
  consentVocabulary: 'backchannel.consent-vocabulary.v1',
  initialAccessTokens: 'backchannel.initial-access-tokens.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

/** Which topic a stream's events are published to. */
export function topicForStream(streamId: string): Topic {
  if (isAuthRequestStream(streamId)) return Topics.authRequests;
  if (isConsentVocabularyStream(streamId)) return Topics.consentVocabulary;
  if (isInitialAccessTokenStream(streamId)) return Topics.initialAccessTokens;
  return isUserStream(streamId) ? Topics.users : Topics.clients;
}
