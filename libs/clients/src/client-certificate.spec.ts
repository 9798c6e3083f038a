import { X509Certificate, createHash } from 'node:crypto';
import { createTestPki, selfSignedClientCertificate, type TestPki } from '@backchannel/testing';
import type { ClientMetadata } from '@backchannel/events';
import {
  TrustedClientCas,
  certificateAuthenticates,
  certificateThumbprint,
  parseDistinguishedName,
  subjectMatches,
  x5cProblem,
} from './client-certificate.js';
import type { RegisteredClient } from './registered-client.js';

function client(metadata: Partial<ClientMetadata>): RegisteredClient {
  return {
    clientId: 'mtls-client',
    secretSha256: null,
    sealedSecret: null,
    registeredAt: '2026-12-06T00:00:00.000Z',
    metadata: {
      client_name: 'Bank',
      token_endpoint_auth_method: 'tls_client_auth',
      grant_types: ['urn:openid:params:grant-type:ciba'],
      scope: 'openid',
      backchannel_token_delivery_mode: 'poll',
      backchannel_user_code_parameter: false,
      ...metadata,
    },
  };
}

/** base64 DER, as x5c holds it. */
function der(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}

/** certificateAuthenticates with the client's registered keys, now. */
function authenticates(registered: RegisteredClient, certificate: X509Certificate, cas: TrustedClientCas): boolean {
  return certificateAuthenticates(registered, certificate, cas, new Date(), registered.metadata.jwks?.keys ?? null);
}

describe('TLS client certificates (RFC 8705)', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let issued: X509Certificate;
  const now = () => new Date();

  beforeAll(async () => {
    [pki, otherPki] = await Promise.all([createTestPki(), createTestPki('Another CA')]);
    issued = new X509Certificate(
      (
        await pki.clientCertificate({
          commonName: 'client-1',
          organization: 'Bank',
          country: 'GB',
          dnsNames: ['client.bank.example'],
          ipAddresses: ['2001:db8::1'],
          uris: ['https://bank.example/clients/1'],
          emails: ['ops@bank.example'],
        })
      ).cert,
    );
  });

  it('takes the thumbprint of the DER encoding, base64url (x5t#S256)', () => {
    expect(certificateThumbprint(issued)).toBe(createHash('sha256').update(issued.raw).digest('base64url'));
  });

  describe('TrustedClientCas', () => {
    it('trusts a certificate its authority issued, and none other', async () => {
      const trusted = new TrustedClientCas(pki.caPem);
      expect(trusted.issued(issued, now())).toBe(true);
      const foreign = new X509Certificate((await otherPki.clientCertificate({ commonName: 'client-1' })).cert);
      expect(trusted.issued(foreign, now())).toBe(false);
      const selfSigned = new X509Certificate((await selfSignedClientCertificate({ commonName: 'client-1' })).cert);
      expect(trusted.issued(selfSigned, now())).toBe(false);
    });

    it('trusts any authority of a file of several', () => {
      expect(new TrustedClientCas(`${otherPki.caPem}\n${pki.caPem}`).issued(issued, now())).toBe(true);
    });

    it('refuses a certificate outside its validity period', async () => {
      const expired = await pki.clientCertificate({
        commonName: 'client-1',
        notBefore: new Date(Date.now() - 7_200_000),
        notAfter: new Date(Date.now() - 3_600_000),
      });
      expect(new TrustedClientCas(pki.caPem).issued(new X509Certificate(expired.cert), now())).toBe(false);
      expect(new TrustedClientCas(pki.caPem).issued(issued, new Date(Date.now() + 2 * 86_400_000))).toBe(false);
    });

    it('has nothing to trust without a file', () => {
      const none = new TrustedClientCas(null);
      expect(none.configured).toBe(false);
      expect(none.issued(issued, now())).toBe(false);
    });
  });

  describe('subjectMatches', () => {
    it('matches the subject DN in any order and case (RFC 4514 string)', () => {
      expect(subjectMatches(issued, 'tls_client_auth_subject_dn', 'CN=client-1,O=Bank,C=GB')).toBe(true);
      expect(subjectMatches(issued, 'tls_client_auth_subject_dn', 'c=gb, o=bank, cn=CLIENT-1')).toBe(true);
    });

    it('does not match a DN with a different, missing or extra attribute', () => {
      expect(subjectMatches(issued, 'tls_client_auth_subject_dn', 'CN=client-2,O=Bank,C=GB')).toBe(false);
      expect(subjectMatches(issued, 'tls_client_auth_subject_dn', 'CN=client-1,O=Bank')).toBe(false);
      expect(subjectMatches(issued, 'tls_client_auth_subject_dn', 'CN=client-1,O=Bank,C=GB,OU=Ops')).toBe(false);
    });

    it('matches each kind of subject alternative name only against its own kind', () => {
      expect(subjectMatches(issued, 'tls_client_auth_san_dns', 'CLIENT.bank.example')).toBe(true);
      expect(subjectMatches(issued, 'tls_client_auth_san_ip', '2001:0db8:0:0::1')).toBe(true);
      expect(subjectMatches(issued, 'tls_client_auth_san_uri', 'https://bank.example/clients/1')).toBe(true);
      expect(subjectMatches(issued, 'tls_client_auth_san_email', 'ops@bank.example')).toBe(true);
      expect(subjectMatches(issued, 'tls_client_auth_san_uri', 'client.bank.example')).toBe(false);
      expect(subjectMatches(issued, 'tls_client_auth_san_dns', 'bank.example')).toBe(false);
      expect(subjectMatches(issued, 'tls_client_auth_san_ip', '2001:db8::2')).toBe(false);
      expect(subjectMatches(issued, 'tls_client_auth_san_ip', 'not an address')).toBe(false);
    });
  });

  describe('parseDistinguishedName', () => {
    it("reads RFC 4514 escapes and Node's one-attribute-per-line form alike", () => {
      const registered = parseDistinguishedName('CN=client \\"1\\" \\+ x,O=Bank\\, Ltd', ',');
      const presented = parseDistinguishedName('O=Bank\\, Ltd\nCN=client \\"1\\" \\+ x', '\n');
      expect(registered).toEqual([
        ['CN', 'client "1" + x'],
        ['O', 'Bank, Ltd'],
      ]);
      expect(presented).toEqual([
        ['O', 'Bank, Ltd'],
        ['CN', 'client "1" + x'],
      ]);
    });

    it('refuses what is not attribute=value pairs', () => {
      expect(parseDistinguishedName('client-1', ',')).toBeNull();
      expect(parseDistinguishedName('CN=a,,O=b', ',')).toBeNull();
      expect(parseDistinguishedName('=a', ',')).toBeNull();
    });
  });

  describe('certificateAuthenticates', () => {
    it('tls_client_auth: a trusted certificate with the registered subject', async () => {
      const cas = new TrustedClientCas(pki.caPem);
      expect(authenticates(client({ tls_client_auth_san_dns: 'client.bank.example' }), issued, cas)).toBe(true);
      expect(authenticates(client({ tls_client_auth_san_dns: 'other.example' }), issued, cas)).toBe(false);
      // the right subject from an untrusted authority is not enough
      const foreign = new X509Certificate(
        (await otherPki.clientCertificate({ commonName: 'client-1', dnsNames: ['client.bank.example'] })).cert,
      );
      expect(authenticates(client({ tls_client_auth_san_dns: 'client.bank.example' }), foreign, cas)).toBe(false);
    });

    it('self_signed_tls_client_auth: exactly the certificate registered as x5c', async () => {
      const registered = await selfSignedClientCertificate({ commonName: 'client-1' });
      const other = await selfSignedClientCertificate({ commonName: 'client-1' });
      const publicJwk = new X509Certificate(registered.cert).publicKey.export({ format: 'jwk' });
      const selfSigned = client({
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        jwks: { keys: [{ ...publicJwk, kty: 'EC', x5c: [der(registered.cert)] }] },
      });
      const cas = new TrustedClientCas(null);
      expect(authenticates(selfSigned, new X509Certificate(registered.cert), cas)).toBe(true);
      expect(authenticates(selfSigned, new X509Certificate(other.cert), cas)).toBe(false);
      // a secret client cannot be authenticated by a certificate
      expect(
        authenticates(
          client({ token_endpoint_auth_method: 'client_secret_basic' }),
          new X509Certificate(registered.cert),
          cas,
        ),
      ).toBe(false);
    });
  });

  describe('x5cProblem', () => {
    it('accepts x5c whose first certificate holds the key, and refuses one that does not', async () => {
      const [mine, theirs] = await Promise.all([
        selfSignedClientCertificate({ commonName: 'a' }),
        selfSignedClientCertificate({ commonName: 'b' }),
      ]);
      const jwk = { ...new X509Certificate(mine.cert).publicKey.export({ format: 'jwk' }), kty: 'EC' };
      expect(x5cProblem({ ...jwk, x5c: [der(mine.cert)] })).toBeNull();
      expect(x5cProblem({ ...jwk, x5c: [der(theirs.cert)] })).toBe("x5c's first certificate must hold this key");
      expect(x5cProblem({ ...jwk, x5c: ['not base64!'] })).toBe('x5c must hold base64 DER certificates');
      expect(x5cProblem({ ...jwk, x5c: [] })).toBe('x5c must be an array of 1 to 5 certificates');
      expect(x5cProblem({ ...jwk, x5c: 'MIIB' })).toBe('x5c must be an array of 1 to 5 certificates');
    });
  });
});
