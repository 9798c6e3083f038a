import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import ipaddr from 'ipaddr.js';
import type { MtlsConfig } from '@backchannel/config';

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Where a request's TLS client certificate comes from (RFC 8705), decided in this one place for
 * every service: the TLS connection itself when this process terminates TLS, otherwise the
 * certificate header, believed only from a trusted proxy's address (TRUSTED_PROXIES). From
 * anyone else the header is ignored, so a client cannot claim a certificate it does not hold.
 */
export class ClientCertificateSource {
  private readonly trustedProxies: Network[];

  constructor(private readonly config: Pick<MtlsConfig, 'certificateHeader' | 'trustedProxies'>) {
    this.trustedProxies = config.trustedProxies.map((network) => ipaddr.parseCIDR(network));
  }

  get header(): string {
    return this.config.certificateHeader;
  }

  /** The certificate the client presented with this request, or null. */
  certificateOf(request: IncomingMessage): X509Certificate | null {
    const socket = request.socket as Partial<TLSSocket>;
    const onConnection = socket.getPeerX509Certificate?.();
    if (onConnection) return onConnection;
    const forwarded = request.headers[this.config.certificateHeader];
    if (typeof forwarded !== 'string' || forwarded === '' || !this.isTrustedProxy(socket.remoteAddress)) return null;
    return parseForwardedCertificate(forwarded);
  }

  private isTrustedProxy(remoteAddress: string | undefined): boolean {
    if (remoteAddress === undefined || !ipaddr.isValid(remoteAddress)) return false;
    // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
    const address = ipaddr.process(remoteAddress);
    return this.trustedProxies.some(
      ([network, bits]) => network.kind() === address.kind() && address.match(network, bits),
    );
  }
}

/**
 * A certificate as proxies forward it: URL-encoded PEM (nginx ingress, AWS ALB) or URL-encoded
 * base64 DER without armour (Traefik). Null when it is neither: the request then has no certificate.
 */
export function parseForwardedCertificate(headerValue: string): X509Certificate | null {
  try {
    const decoded = decodeURIComponent(headerValue).trim();
    return new X509Certificate(decoded.startsWith('-----BEGIN') ? decoded : Buffer.from(decoded, 'base64'));
  } catch {
    return null;
  }
}
