import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createTestPki } from '@backchannel/testing';
import { ClientCertificateSource, parseForwardedCertificate } from './client-certificate.js';
import { TrustedProxies } from './trusted-proxies.js';

/** A plain-HTTP request as a proxy (or anyone) sends it. */
function request(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('ClientCertificateSource', () => {
  let pem: string;
  const proxies = new TrustedProxies(['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8']);
  const source = new ClientCertificateSource({ certificateHeader: 'ssl-client-cert', enabled: true }, proxies);

  beforeAll(async () => {
    pem = (await (await createTestPki()).clientCertificate({ commonName: 'client-1' })).cert;
  });

  it('believes the URL-encoded PEM header from a trusted proxy', () => {
    const found = source.certificateOf(request('10.1.2.3', { 'ssl-client-cert': encodeURIComponent(pem) }));
    expect(found?.fingerprint256).toBe(new X509Certificate(pem).fingerprint256);
    // an IPv4 peer on a dual-stack socket, and an IPv6 proxy
    expect(
      source.certificateOf(request('::ffff:127.0.0.1', { 'ssl-client-cert': encodeURIComponent(pem) })),
    ).not.toBeNull();
    expect(source.certificateOf(request('fd12::1', { 'ssl-client-cert': encodeURIComponent(pem) }))).not.toBeNull();
  });

  it('ignores the header from any other address', () => {
    expect(source.certificateOf(request('192.0.2.7', { 'ssl-client-cert': encodeURIComponent(pem) }))).toBeNull();
    expect(source.certificateOf(request('127.0.0.2', { 'ssl-client-cert': encodeURIComponent(pem) }))).toBeNull();
    expect(source.certificateOf(request('::1', { 'ssl-client-cert': encodeURIComponent(pem) }))).toBeNull();
  });

  it('ignores the header, even from a trusted proxy, when mTLS is off (the proxies are trusted for the address only)', () => {
    const off = new ClientCertificateSource({ certificateHeader: 'ssl-client-cert', enabled: false }, proxies);
    expect(off.certificateOf(request('10.1.2.3', { 'ssl-client-cert': encodeURIComponent(pem) }))).toBeNull();
  });

  it('finds no certificate without the header, or in a header that holds none', () => {
    expect(source.certificateOf(request('10.1.2.3'))).toBeNull();
    expect(source.certificateOf(request('10.1.2.3', { 'ssl-client-cert': 'garbage%' }))).toBeNull();
    expect(source.certificateOf(request('10.1.2.3', { 'ssl-client-cert': 'aGVsbG8=' }))).toBeNull();
  });

  it('takes the certificate of the TLS connection first', () => {
    const onConnection = new X509Certificate(pem);
    const tlsRequest = {
      socket: { remoteAddress: '192.0.2.7', getPeerX509Certificate: () => onConnection },
      headers: {},
    } as unknown as IncomingMessage;
    expect(source.certificateOf(tlsRequest)).toBe(onConnection);
  });
});

describe('parseForwardedCertificate', () => {
  it('reads URL-encoded PEM and URL-encoded base64 DER (as Traefik sends it)', async () => {
    const pem = (await (await createTestPki()).clientCertificate({ commonName: 'client-1' })).cert;
    const expected = new X509Certificate(pem).fingerprint256;
    expect(parseForwardedCertificate(encodeURIComponent(pem))?.fingerprint256).toBe(expected);
    const base64Der = new X509Certificate(pem).raw.toString('base64');
    expect(parseForwardedCertificate(encodeURIComponent(base64Der))?.fingerprint256).toBe(expected);
  });
});
