import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { Module } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig, ConfigurationError } from '@backchannel/config';
import { EgressHttpClient } from './egress-http-client.js';

/** The HTTP client for notification endpoints, as configured by CLIENT_NOTIFICATION_* (CA file read here, once). */
export async function egressHttpClientFromConfig(config: BackchannelConfig): Promise<EgressHttpClient> {
  const { allowHttp, allowedNetworks, timeoutMs, caFile } = config.clientNotification;
  return new EgressHttpClient({
    policy: { allowHttp, allowedNetworks },
    timeoutMs,
    extraCaPem: caFile === null ? null : await readCaFile(caFile),
  });
}

async function readCaFile(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigurationError([`CLIENT_NOTIFICATION_CA_FILE: cannot read '${path}' (${reason})`]);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigurationError([`CLIENT_NOTIFICATION_CA_FILE: '${path}' holds no PEM certificate`]);
  }
  return pem;
}

/** Provides EgressHttpClient from the global BACKCHANNEL_CONFIG; its connections close on shutdown. */
@Module({
  providers: [{ provide: EgressHttpClient, inject: [BACKCHANNEL_CONFIG], useFactory: egressHttpClientFromConfig }],
  exports: [EgressHttpClient],
})
export class EgressModule {}
