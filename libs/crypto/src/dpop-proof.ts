import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { sameTyp } from './jwt-typ.js';

/**
 * JWS algorithms accepted on DPoP proofs, published as `dpop_signing_alg_values_supported`:
 * asymmetric only (never `none` or a MAC), the same the server accepts on client assertions.
 */
export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'PS256', 'EdDSA'] as const;
export type DpopSigningAlgorithm = (typeof DPOP_SIGNING_ALGORITHMS)[number];

/** A proof is accepted this long after its `iat`: long enough for a slow network, short enough to keep few jtis. */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60;
/** Clock skew allowed for a client whose clock runs ahead. */
export const DPOP_PROOF_MAX_FUTURE_SECONDS = 10;
/** A jti is random (RFC 9449 §4.2 asks for 96 bits); anything longer than this is not one. */
export const DPOP_JTI_MAX_LENGTH = 256;

/** Far above a proof with an RSA-4096 jwk; parsing stops here. */
const DPOP_PROOF_MAX_LENGTH = 8192;
const DPOP_PROOF_TYPE = 'dpop+jwt';
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** The key each algorithm signs with (RFC 7518 §3, RFC 8037 §3.1): a proof's jwk must be of that kind. */
const KEY_OF_ALGORITHM: Record<DpopSigningAlgorithm, { kty: string; crv?: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  PS256: { kty: 'RSA' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};

/** JWK members of private or symmetric keys (RFC 7518 §6): a proof's jwk carries none of them. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** `use_dpop_nonce` when the proof lacks a current server nonce (RFC 9449 §8), `invalid_dpop_proof` otherwise. */
export type DpopProofErrorReason = 'invalid_dpop_proof' | 'use_dpop_nonce';
/** The rule a proof broke. */
export type DpopProofCheck =
  'proof' | 'typ' | 'alg' | 'jwk' | 'signature' | 'jti' | 'htm' | 'htu' | 'iat' | 'ath' | 'nonce';

/** A DPoP proof was refused. `message` is safe to send to the client: fixed text, never jose's or a nonce. */
export class DpopProofError extends Error {
  constructor(
    readonly reason: DpopProofErrorReason,
    readonly check: DpopProofCheck,
    message: string,
  ) {
    super(message);
    this.name = 'DpopProofError';
  }
}

/** What decides whether a proof's nonce is current: DpopNonces. */
export interface DpopNonceCheck {
  isValid(nonce: string, now: Date): boolean;
}

/** The request a proof must have been made for. */
export interface ExpectedDpopProof {
  /** The request's HTTP method, as received. */
  method: string;
  /**
   * The endpoint's absolute URLs as clients reach it (its public URL and any mTLS alias): the
   * proof's `htu` must be one of them (query and fragment are ignored).
   */
  urls: readonly string[];
  now: Date;
  /** At a protected resource: the access token presented with the proof, which `ath` must hash. */
  accessToken?: string;
  /** When given, the proof must carry a nonce these accept (`use_dpop_nonce` otherwise). */
  nonces?: DpopNonceCheck;
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key, base64url: what a token is bound to (`cnf.jkt`). */
  jkt: string;
  jti: string;
  issuedAt: Date;
  /** When the proof stops being accepted: its jti must be kept as spent until then. */
  acceptedUntil: Date;
  publicJwk: JWK;
}

/**
 * Verifies a DPoP proof (RFC 9449 §4.3) for the request it came with: one proof, a JWS of `typ`
 * dpop+jwt, an allow-listed asymmetric `alg`, a public `jwk` of that algorithm's kind that verifies
 * the signature, and `jti`, `htm`, `htu`, `iat` (and `ath`, `nonce` when expected) that fit the
 * request. The replay of `jti` is the caller's to check, until `acceptedUntil`.
 */
export async function verifyDpopProof(
  proof: string | readonly string[],
  expected: ExpectedDpopProof,
): Promise<VerifiedDpopProof> {
  const compact = singleProof(proof);
  const { alg, jwk } = checkedHeader(compact);
  const claims = await verifiedClaims(compact, alg, jwk, expected.now);

  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > DPOP_JTI_MAX_LENGTH) {
    throw invalid('jti', `the DPoP proof's jti is missing or longer than ${DPOP_JTI_MAX_LENGTH} characters`);
  }
  if (htm !== expected.method) throw invalid('htm', `the DPoP proof's htm is not this request's method`);
  const endpointUrls = expected.urls.map((url) => {
    const comparable = comparableHtu(url);
    if (comparable === null) throw new Error(`the endpoint URL ${url} is not an absolute http(s) URL`);
    return comparable;
  });
  const htuOfProof = typeof htu === 'string' ? comparableHtu(htu) : null;
  if (htuOfProof === null || !endpointUrls.includes(htuOfProof)) {
    throw invalid('htu', `the DPoP proof's htu is not this request's URL`);
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('iat', `the DPoP proof has no iat`);
  const age = expected.now.getTime() / 1000 - iat;
  if (age > DPOP_PROOF_MAX_AGE_SECONDS) throw invalid('iat', 'the DPoP proof is too old');
  if (-age > DPOP_PROOF_MAX_FUTURE_SECONDS) throw invalid('iat', `the DPoP proof's iat is in the future`);
  if (expected.accessToken !== undefined) checkAccessTokenHash(claims.ath, expected.accessToken);
  if (expected.nonces !== undefined) checkNonce(claims.nonce, expected.nonces, expected.now);

  return {
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    jti,
    issuedAt: new Date(iat * 1000),
    acceptedUntil: new Date((iat + DPOP_PROOF_MAX_AGE_SECONDS) * 1000),
    publicJwk: jwk,
  };
}

/** RFC 9449 §4.3 points 1 and 2: exactly one DPoP header, holding a compact JWS. */
function singleProof(proof: string | readonly string[]): string {
  const values = typeof proof === 'string' ? [proof] : proof;
  // HTTP joins repeated header fields with commas, which a compact JWS never holds.
  if (values.length !== 1 || values[0]!.includes(',')) throw invalid('proof', 'exactly one DPoP proof is allowed');
  const compact = values[0]!;
  if (compact.length > DPOP_PROOF_MAX_LENGTH || !COMPACT_JWS.test(compact)) {
    throw invalid('proof', 'the DPoP proof is not a compact JWS');
  }
  return compact;
}

/** RFC 9449 §4.3 points 4 to 6: typ, alg and a public jwk of the algorithm's kind. */
function checkedHeader(compact: string): { alg: DpopSigningAlgorithm; jwk: JWK } {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(compact);
  } catch {
    throw invalid('proof', 'the DPoP proof is not a compact JWS');
  }
  if (typeof header.typ !== 'string' || !sameTyp(header.typ, DPOP_PROOF_TYPE)) {
    throw invalid('typ', `the DPoP proof's typ is not ${DPOP_PROOF_TYPE}`);
  }
  const alg = DPOP_SIGNING_ALGORITHMS.find((allowed) => allowed === header.alg);
  if (alg === undefined)
    throw invalid('alg', `the DPoP proof's alg is not one of ${DPOP_SIGNING_ALGORITHMS.join(', ')}`);
  const jwk: unknown = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalid('jwk', 'the DPoP proof has no jwk header');
  }
  if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) {
    throw invalid('jwk', `the DPoP proof's jwk is not a public key`);
  }
  const { kty, crv, use, alg: keyAlg } = jwk as JWK;
  const { kty: expectedKty, crv: expectedCrv } = KEY_OF_ALGORITHM[alg];
  if (
    kty !== expectedKty ||
    crv !== expectedCrv ||
    (use !== undefined && use !== 'sig') ||
    (keyAlg !== undefined && keyAlg !== alg)
  ) {
    throw invalid('jwk', `the DPoP proof's jwk is not a ${alg} key`);
  }
  return { alg, jwk: jwk as JWK };
}

/** RFC 9449 §4.3 point 7: the signature verifies with the proof's own jwk. */
async function verifiedClaims(compact: string, alg: DpopSigningAlgorithm, jwk: JWK, now: Date): Promise<JWTPayload> {
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(jwk, alg);
  } catch {
    throw invalid('jwk', `the DPoP proof's jwk is not a usable ${alg} key`);
  }
  try {
    return (await jwtVerify(compact, key, { algorithms: [alg], currentDate: now })).payload;
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw invalid('signature', `the DPoP proof's signature does not verify with its jwk`);
    }
    // jose checks the registered claims a proof may carry: iat a number, exp and nbf (optional) met.
    if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
      if (error.claim === 'iat') throw invalid('iat', `the DPoP proof's iat is not a number`);
      throw invalid('proof', 'the DPoP proof is expired or not yet valid');
    }
    if (error instanceof errors.JOSEError) throw invalid('proof', 'the DPoP proof is not a signed JWT');
    throw error;
  }
}

/** RFC 9449 §4.3 point 11 and §7.1: with an access token, `ath` is base64url(SHA-256(access token)). */
function checkAccessTokenHash(ath: unknown, accessToken: string): void {
  if (ath === undefined) throw invalid('ath', 'the DPoP proof has no ath for the access token');
  if (ath !== createHash('sha256').update(accessToken, 'ascii').digest('base64url')) {
    throw invalid('ath', `the DPoP proof's ath does not match the access token`);
  }
}

/** RFC 9449 §8 and §9: a proof to a server that requires nonces carries a current one. */
function checkNonce(nonce: unknown, nonces: DpopNonceCheck, now: Date): void {
  if (typeof nonce !== 'string') throw new DpopProofError('use_dpop_nonce', 'nonce', 'a DPoP nonce is required');
  if (!nonces.isValid(nonce, now)) {
    throw new DpopProofError('use_dpop_nonce', 'nonce', 'the DPoP nonce is not current');
  }
}

/**
 * RFC 9449 §4.3 point 9: the URI without query and fragment, after RFC 3986 §6.2.2 and §6.2.3
 * normalisation. WHATWG URL parsing lower-cases scheme and host, drops the scheme's default port,
 * makes an empty path "/" and removes dot segments; percent-encodings are normalised here. Null
 * when the value is not an absolute http(s) URL.
 */
function comparableHtu(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const path = url.pathname.replace(/%[\da-f]{2}/gi, (escape) => {
    const octet = String.fromCharCode(parseInt(escape.slice(1), 16));
    return /[\w.~-]/.test(octet) ? octet : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

function invalid(check: DpopProofCheck, message: string): DpopProofError {
  return new DpopProofError('invalid_dpop_proof', check, message);
}
