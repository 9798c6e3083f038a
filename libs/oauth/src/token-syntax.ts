/** RFC 6749 §3.3: one scope token (NQCHAR without space). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** RFC 6750 §2.1 b64token: the syntax of bearer credentials. */
export const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * RFC 9396 §2 leaves an authorization-detail type's syntax open; here it is a name or a URI: 1 to
 * 64 printable ASCII characters without spaces (short enough for a path segment and a phone's line).
 */
export const AUTHORIZATION_DETAILS_TYPE = /^[\x21-\x7E]{1,64}$/;
