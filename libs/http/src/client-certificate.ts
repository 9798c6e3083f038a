import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { MtlsConfig } from '@backchannel/config';
import type { TrustedProxies } from './trusted-proxies.js';

/**
 * Where a request's TLS client certificate comes from (RFC 8705), decided in this one place for
 * every service: the TLS connection itself when this process terminates TLS, otherwise the
 * certificate header, believed only with mTLS on (MTLS_ENABLED) and from a trusted proxy's address
 * (TRUSTED_PROXIES). From anyone else the header is ignored, so a client cannot claim a certificate
 * it does not hold.
 */
export class ClientCertificateSource {
  constructor(
    private readonly config: Pick<MtlsConfig, 'certificateHeader' | 'enabled'>,
    private readonly trustedProxies: TrustedProxies,
  ) {}

  get header(): string {
    return this.config.certificateHeader;
  }

  /** The certificate the client presented with this request, or null. */
  certificateOf(request: IncomingMessage): X509Certificate | null {
    if (!this.config.enabled) return null;
    const socket = request.socket as Partial<TLSSocket>;
    const onConnection = socket.getPeerX509Certificate?.();
    if (onConnection) return onConnection;
    const forwarded = request.headers[this.config.certificateHeader];
    if (typeof forwarded !== 'string' || forwarded === '' || !this.trustedProxies.includes(socket.remoteAddress)) {
      return null;
    }
    return parseForwardedCertificate(forwarded);
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
