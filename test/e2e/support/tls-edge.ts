import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestPki, type TestCertificate, type TestPki } from '@backchannel/testing';
import { Agent, fetch as undiciFetch } from 'undici';
import { type BackchannelApi, type Fetch } from './backchannel-api.js';
import { verifyJwt } from '@backchannel/crypto';

/** What a TLS connection to the stack's edge presents and where it comes from. */
export interface ConnectionOptions {
  /** The TLS client certificate to present (mTLS); none by default. */
  clientCertificate?: TestCertificate;
  /** The local address to connect from (127.0.0.2 is loopback too, but not a trusted proxy). */
  localAddress?: string;
}

/**
 * The public edge over real TLS: a test CA, a server certificate for 127.0.0.1 and localhost, the
 * settings that make the edge (the gateway, or the embedded process) terminate TLS and request
 * client certificates from that CA, and 127.0.0.1 as the trusted proxy that may pass a certificate
 * in a header (as an ingress would; in the distributed topology the gateway is that proxy for the services).
 */
export interface TlsEdge {
  pki: TestPki;
  /** For the edge process: its TLS listener (TLS_CERT_FILE, TLS_KEY_FILE) and the mTLS settings. */
  edgeEnv: Record<string, string>;
  /**
   * For every process: the CAs of tls_client_auth (TLS_CLIENT_CA_FILE) and the trusted proxy
   * (TRUSTED_PROXIES: the gateway and the test, both on 127.0.0.1).
   */
  mtlsEnv: Record<string, string>;
  /** A fetch that trusts the test CA, presenting a client certificate if asked. */
  fetch(options?: ConnectionOptions): Fetch;
  close(): Promise<void>;
}

export const TRUSTED_PROXY_ADDRESS = '127.0.0.1';

export async function createTlsEdge(): Promise<TlsEdge> {
  const pki = await createTestPki();
  const dir = await mkdtemp(path.join(tmpdir(), 'backchannel-tls-'));
  const server = await pki.serverCertificate();
  const certFile = path.join(dir, 'server.pem');
  const keyFile = path.join(dir, 'server-key.pem');
  await Promise.all([writeFile(certFile, server.cert), writeFile(keyFile, server.key)]);
  const caFile = await pki.writeCaFile(dir);
  const agents: Agent[] = [];
  const mtlsEnv = {
    TLS_CLIENT_CA_FILE: caFile,
    TRUSTED_PROXIES: `${TRUSTED_PROXY_ADDRESS}/32`,
    MTLS_ENABLED: 'true',
  };
  return {
    pki,
    edgeEnv: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, ...mtlsEnv },
    mtlsEnv,
    fetch(options = {}) {
      const agent = new Agent({
        ...(options.localAddress && { localAddress: options.localAddress }),
        connect: {
          ca: pki.caPem,
          ...(options.clientCertificate && {
            cert: options.clientCertificate.cert,
            key: options.clientCertificate.key,
          }),
        },
      });
      agents.push(agent);
      return (url, init) =>
        undiciFetch(url, {
          ...(init as Parameters<typeof undiciFetch>[1]),
          dispatcher: agent,
        }) as unknown as Promise<Response>;
    },
    async close() {
      await Promise.all(agents.map((agent) => agent.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * RFC 8705 §3.1: the confirmation an access token bound to this certificate carries, and the
 * confirmation the token the stack issued does carry (verified with the stack's keys).
 */
export async function certificateBinding(
  api: BackchannelApi,
  accessToken: string,
  certificate: TestCertificate,
): Promise<{ expected: unknown; actual: unknown }> {
  const jwks = (await api.get('/jwks')).body as { keys: Record<string, unknown>[] };
  const claims = await verifyJwt(accessToken, jwks, { issuer: api.baseUrl, audience: api.baseUrl, typ: 'at+jwt' });
  const thumbprint = createHash('sha256').update(new X509Certificate(certificate.cert).raw).digest('base64url');
  return { expected: { 'x5t#S256': thumbprint }, actual: claims.cnf };
}
