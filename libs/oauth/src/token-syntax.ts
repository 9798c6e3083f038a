/** RFC 6749 §3.3: one scope token (NQCHAR without space). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** RFC 6750 §2.1 b64token: the syntax of bearer credentials. */
export const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
