import { X509Certificate, createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { CertificateSubjectMember, ClientPublicJwk } from '@backchannel/events';
import type { RegisteredClient } from './registered-client.js';

/** RFC 8705 §2: the client authentication methods that rest on a TLS client certificate. */
export const CERTIFICATE_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const;

/** RFC 8705 §2.1.2, in the order they are described there. */
export const CERTIFICATE_SUBJECT_MEMBERS: readonly CertificateSubjectMember[] = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
];

/** RFC 8705 §3.1: `x5t#S256`, the base64url SHA-256 of the certificate's DER, as the `cnf` claim names it. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

/** The certificate authorities tls_client_auth trusts (TLS_CLIENT_CA_FILE), parsed once. */
export class TrustedClientCas {
  private readonly authorities: X509Certificate[];

  constructor(pem: string | null) {
    this.authorities = pem === null ? [] : splitPemCertificates(pem).map((block) => new X509Certificate(block));
  }

  get configured(): boolean {
    return this.authorities.length > 0;
  }

  /**
   * Issued and signed by one of the trusted authorities, and valid now (the authority too). An
   * intermediate authority must itself be in the file: chains are not walked.
   */
  issued(certificate: X509Certificate, now: Date): boolean {
    return (
      isValidAt(certificate, now) &&
      this.authorities.some(
        (authority) =>
          isValidAt(authority, now) && certificate.checkIssued(authority) && certificate.verify(authority.publicKey),
      )
    );
  }
}

function isValidAt(certificate: X509Certificate, now: Date): boolean {
  return Date.parse(certificate.validFrom) <= now.getTime() && now.getTime() <= Date.parse(certificate.validTo);
}

function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * tls_client_auth (RFC 8705 §2.1): a certificate from a trusted authority whose subject matches
 * the one member the client registered. self_signed_tls_client_auth (§2.2): the very certificate
 * the client registered as `x5c` of a key in its jwks.
 */
export function certificateAuthenticates(
  client: RegisteredClient,
  certificate: X509Certificate,
  trustedCas: TrustedClientCas,
  now: Date,
  /** The client's keys (self_signed_tls_client_auth: from jwks or its jwks_uri). */
  keys: readonly ClientPublicJwk[] | null,
): boolean {
  const { metadata } = client;
  if (metadata.token_endpoint_auth_method === 'self_signed_tls_client_auth') {
    const presented = certificateThumbprint(certificate);
    return (keys ?? []).some((key) => registeredCertificateThumbprint(key) === presented);
  }
  if (metadata.token_endpoint_auth_method !== 'tls_client_auth' || !trustedCas.issued(certificate, now)) return false;
  const member = CERTIFICATE_SUBJECT_MEMBERS.find((name) => metadata[name] !== undefined);
  return member !== undefined && subjectMatches(certificate, member, metadata[member]!);
}

function registeredCertificateThumbprint(key: ClientPublicJwk): string | null {
  const chain = key.x5c;
  if (!Array.isArray(chain) || typeof chain[0] !== 'string') return null;
  return createHash('sha256').update(Buffer.from(chain[0], 'base64')).digest('base64url');
}

/** Whether the certificate's subject or its subject alternative names hold the registered value. */
export function subjectMatches(
  certificate: X509Certificate,
  member: CertificateSubjectMember,
  expected: string,
): boolean {
  if (member === 'tls_client_auth_subject_dn') {
    const presented = parseDistinguishedName(certificate.subject, '\n');
    const registered = parseDistinguishedName(expected, ',');
    return presented !== null && registered !== null && sameAttributes(presented, registered);
  }
  const kind = SAN_KIND[member];
  const names = subjectAltNames(certificate).filter((name) => name.kind === kind);
  switch (member) {
    case 'tls_client_auth_san_dns':
    case 'tls_client_auth_san_email':
      return names.some((name) => name.value.toLowerCase() === expected.toLowerCase());
    case 'tls_client_auth_san_ip':
      return names.some((name) => sameAddress(name.value, expected));
    default:
      return names.some((name) => name.value === expected);
  }
}

const SAN_KIND: Record<Exclude<CertificateSubjectMember, 'tls_client_auth_subject_dn'>, string> = {
  tls_client_auth_san_dns: 'DNS',
  tls_client_auth_san_uri: 'URI',
  tls_client_auth_san_ip: 'IP Address',
  tls_client_auth_san_email: 'email',
};

/**
 * Node prints subject alternative names as `DNS:a, IP Address:1.2.3.4, URI:...`, quoting (as JSON
 * strings) any value that holds a comma, quote or other special character.
 */
function subjectAltNames(certificate: X509Certificate): { kind: string; value: string }[] {
  const names: { kind: string; value: string }[] = [];
  for (const match of (certificate.subjectAltName ?? '').matchAll(/([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const raw = match[2]!;
    try {
      names.push({ kind: match[1]!, value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw });
    } catch {
      // a value Node could not print plainly and that is not JSON either: it matches nothing
    }
  }
  return names;
}

function sameAddress(presented: string, expected: string): boolean {
  if (!ipaddr.isValid(presented) || !ipaddr.isValid(expected)) return false;
  return ipaddr.process(presented).toNormalizedString() === ipaddr.process(expected).toNormalizedString();
}

type Attribute = [type: string, value: string];

/**
 * An RFC 4514 distinguished name (`CN=client,O=Bank,C=GB`, separated by `,` or `+`, with `\`
 * escapes) or Node's rendering of one (one `TYPE=value` per line) as attribute pairs. Attribute
 * types compare case-insensitively, values too (X.520's caseIgnoreMatch of CN, O, OU, C, L, ST).
 */
export function parseDistinguishedName(text: string, separator: ',' | '\n'): Attribute[] | null {
  const attributes: Attribute[] = [];
  let current = '';
  const flush = (): boolean => {
    const equals = current.indexOf('=');
    if (equals <= 0) return false;
    attributes.push([current.slice(0, equals).trim().toUpperCase(), unescapeDnValue(current.slice(equals + 1).trim())]);
    current = '';
    return true;
  };
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (separator === ',' && character === '\\' && index + 1 < text.length) {
      current += character + text[++index];
    } else if (character === separator || (separator === ',' && character === '+')) {
      if (!flush()) return null;
    } else {
      current += character;
    }
  }
  return flush() ? attributes : null;
}

function unescapeDnValue(value: string): string {
  return value.replace(/\\([0-9A-Fa-f]{2}|.)/g, (_escape, escaped: string) =>
    escaped.length === 2 ? String.fromCharCode(parseInt(escaped, 16)) : escaped,
  );
}

function sameAttributes(presented: Attribute[], registered: Attribute[]): boolean {
  const normalise = (attributes: Attribute[]) =>
    attributes.map(([type, value]) => `${type}=${value.toLowerCase()}`).sort();
  const [a, b] = [normalise(presented), normalise(registered)];
  return a.length === b.length && a.every((attribute, index) => attribute === b[index]);
}

/**
 * RFC 7517 §4.7: `x5c` of a registered key, base64 DER certificates whose first one holds the
 * key itself. Null when acceptable; otherwise what is wrong.
 */
export function x5cProblem(key: ClientPublicJwk): string | null {
  const chain = key.x5c;
  if (chain === undefined) return null;
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > 5)
    return 'x5c must be an array of 1 to 5 certificates';
  try {
    const certificates = chain.map((entry) => {
      if (typeof entry !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(entry)) throw new Error('not base64');
      return new X509Certificate(Buffer.from(entry, 'base64'));
    });
    const keyObject = createPublicKey({ key: { ...key, x5c: undefined } as JsonWebKey, format: 'jwk' });
    if (!certificates[0]!.publicKey.equals(keyObject)) return "x5c's first certificate must hold this key";
  } catch {
    return 'x5c must hold base64 DER certificates';
  }
  return null;
}
