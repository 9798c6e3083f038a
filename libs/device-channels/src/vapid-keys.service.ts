import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import webPush from 'web-push';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer } from '@backchannel/crypto';

/** A VAPID key pair (RFC 8292), base64url as the web-push package prints them. */
export interface VapidKeyPair {
  publicKey: string;
  privateKey: string;
}

/** What the stored private key is sealed to, so a sealed value copied elsewhere does not open. */
const SEALED_TO = 'vapid_keys';

/**
 * The VAPID key pair: the configured one, or one generated on first use and kept in the database
 * (private key sealed). Concurrent first starts insert if absent and then read, so all agree.
 */
@Injectable()
export class VapidKeys {
  private keyPair: Promise<VapidKeyPair> | undefined;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly sealer: PayloadSealer,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  current(): Promise<VapidKeyPair> {
    this.keyPair ??= this.load().catch((error: unknown) => {
      this.keyPair = undefined;
      throw error;
    });
    return this.keyPair;
  }

  async publicKey(): Promise<string> {
    return (await this.current()).publicKey;
  }

  private async load(): Promise<VapidKeyPair> {
    if (this.config.webPush.vapidKeys) return this.config.webPush.vapidKeys;
    const generated = webPush.generateVAPIDKeys();
    await this.dataSource.query(
      `INSERT INTO vapid_keys (id, public_key, sealed_private_key) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`,
      [generated.publicKey, await this.sealer.seal(generated.privateKey, SEALED_TO)],
    );
    const [kept] = (await this.dataSource.query(
      `SELECT public_key, sealed_private_key FROM vapid_keys WHERE id = 1`,
    )) as { public_key: string; sealed_private_key: string }[];
    return {
      publicKey: kept!.public_key,
      privateKey: await this.sealer.open<string>(kept!.sealed_private_key, SEALED_TO),
    };
  }
}
