import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** A certificate and its private key, PEM. */
export interface TestCertificate {
  cert: string;
  key: string;
}

/** Who a certificate names: subject attributes and subject alternative names. */
export interface CertificateSubject {
  commonName: string;
  organization?: string;
  country?: string;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  uris?: readonly string[];
  emails?: readonly string[];
  /** Default: now minus a minute, so a fresh certificate is valid at once. */
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestPki {
  /** The CA certificate (PEM): what servers and clients trust. */
  caPem: string;
  /** A TLS server certificate the CA issued for localhost, 127.0.0.1, ::1 and `extraDnsNames`. */
  serverCertificate(extraDnsNames?: readonly string[]): Promise<TestCertificate>;
  /** A TLS client certificate the CA issued (tls_client_auth). */
  clientCertificate(subject: CertificateSubject): Promise<TestCertificate>;
  /** Writes `caPem` to `<dir>/<fileName>` and returns its path (for *_CA_FILE settings). */
  writeCaFile(dir: string, fileName?: string): Promise<string>;
}

// One key type for every certificate: selfsigned imports the CA key with the leaf's key type.
const KEY_OPTIONS = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;

function subjectAttributes(subject: CertificateSubject) {
  return [
    ...(subject.country ? [{ name: 'countryName', value: subject.country }] : []),
    ...(subject.organization ? [{ name: 'organizationName', value: subject.organization }] : []),
    { name: 'commonName', value: subject.commonName },
  ];
}

function validity(subject: CertificateSubject) {
  const notBeforeDate = subject.notBefore ?? new Date(Date.now() - 60_000);
  return { notBeforeDate, notAfterDate: subject.notAfter ?? new Date(notBeforeDate.getTime() + 86_400_000) };
}

function altNames(subject: CertificateSubject) {
  return [
    ...(subject.dnsNames ?? []).map((value) => ({ type: 2 as const, value })),
    ...(subject.ipAddresses ?? []).map((ip) => ({ type: 7 as const, ip })),
    ...(subject.uris ?? []).map((value) => ({ type: 6 as const, value })),
    ...(subject.emails ?? []).map((value) => ({ type: 1 as const, value })),
  ];
}

/** A client certificate that signs itself (self_signed_tls_client_auth, RFC 8705 §2.2). */
export async function selfSignedClientCertificate(subject: CertificateSubject): Promise<TestCertificate> {
  const names = altNames(subject);
  const generated = await generate(subjectAttributes(subject), {
    ...KEY_OPTIONS,
    ...validity(subject),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
      ...(names.length > 0 ? [{ name: 'subjectAltName' as const, altNames: names }] : []),
    ],
  });
  return { cert: generated.cert, key: generated.private };
}

/** A throw-away certificate authority for tests: server certificates for TLS listeners, client certificates for mTLS. */
export async function createTestPki(commonName = 'Backchannel test CA'): Promise<TestPki> {
  const ca = await generate([{ name: 'commonName', value: commonName }], {
    ...KEY_OPTIONS,
    ...validity({ commonName }),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const issue = async (subject: CertificateSubject, usage: 'serverAuth' | 'clientAuth'): Promise<TestCertificate> => {
    const names = altNames(subject);
    const leaf = await generate(subjectAttributes(subject), {
      ...KEY_OPTIONS,
      ...validity(subject),
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: usage === 'serverAuth', critical: true },
        { name: 'extKeyUsage', [usage]: true },
        ...(names.length > 0 ? [{ name: 'subjectAltName' as const, altNames: names }] : []),
      ],
    });
    return { cert: leaf.cert, key: leaf.private };
  };
  return {
    caPem: ca.cert,
    serverCertificate: (extraDnsNames = []) =>
      issue(
        { commonName: 'localhost', dnsNames: ['localhost', ...extraDnsNames], ipAddresses: ['127.0.0.1', '::1'] },
        'serverAuth',
      ),
    clientCertificate: (subject) => issue(subject, 'clientAuth'),
    async writeCaFile(dir, fileName = 'ca.pem') {
      const file = join(dir, fileName);
      await writeFile(file, ca.cert);
      return file;
    },
  };
}
