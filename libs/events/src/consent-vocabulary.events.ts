import type { Event } from './envelope.js';

/**
 * An API scope was given its description: the plain words the user is shown for it (again, when
 * it had one). Requests made from now on show these words.
 */
export type ApiScopeDefined = Event<'ApiScopeDefined', { name: string; description: string; definedAt: string }> & {
  schemaVersion: 1;
};

/** An API scope's description was removed: the scope is shown as its token from now on. */
export type ApiScopeRemoved = Event<'ApiScopeRemoved', { name: string; removedAt: string }> & { schemaVersion: 1 };

/** An authorization detail type (RFC 9396) was given its description, as ApiScopeDefined. */
export type AuthorizationDetailTypeDefined = Event<
  'AuthorizationDetailTypeDefined',
  { name: string; description: string; definedAt: string }
> & { schemaVersion: 1 };

/** An authorization detail type's description was removed. */
export type AuthorizationDetailTypeRemoved = Event<
  'AuthorizationDetailTypeRemoved',
  { name: string; removedAt: string }
> & { schemaVersion: 1 };

export type ConsentVocabularyEvent =
  ApiScopeDefined | ApiScopeRemoved | AuthorizationDetailTypeDefined | AuthorizationDetailTypeRemoved;

const API_SCOPE_STREAM_PREFIX = 'api-scope-';
const AUTHORIZATION_DETAIL_TYPE_STREAM_PREFIX = 'authorization-detail-type-';

/** The stream of one API scope's definitions. */
export function apiScopeStreamId(scope: string): string {
  return `${API_SCOPE_STREAM_PREFIX}${scope}`;
}

/** The stream of one authorization detail type's definitions. */
export function authorizationDetailTypeStreamId(type: string): string {
  return `${AUTHORIZATION_DETAIL_TYPE_STREAM_PREFIX}${type}`;
}

export function isConsentVocabularyStream(streamId: string): boolean {
  return streamId.startsWith(API_SCOPE_STREAM_PREFIX) || streamId.startsWith(AUTHORIZATION_DETAIL_TYPE_STREAM_PREFIX);
}
