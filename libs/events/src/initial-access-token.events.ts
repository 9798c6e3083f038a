import type { Event } from './envelope.js';

/**
 * An administrator issued an RFC 7591 initial access token, which registers one client at
 * /register until `expiresAt`. `tokenId` is a random id of this issuance, derived from nothing
 * secret: never the token or its digest.
 */
export type InitialAccessTokenIssued = Event<
  'InitialAccessTokenIssued',
  { tokenId: string; expiresAt: string; issuedAt: string }
> & { schemaVersion: 1 };

export type InitialAccessTokenEvent = InitialAccessTokenIssued;

const INITIAL_ACCESS_TOKEN_STREAM_PREFIX = 'initial-access-token-';

/** The stream of one initial access token's events. */
export function initialAccessTokenStreamId(tokenId: string): string {
  return `${INITIAL_ACCESS_TOKEN_STREAM_PREFIX}${tokenId}`;
}

export function isInitialAccessTokenStream(streamId: string): boolean {
  return streamId.startsWith(INITIAL_ACCESS_TOKEN_STREAM_PREFIX);
}
