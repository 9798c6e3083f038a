import ipaddr from 'ipaddr.js';

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * The peers this process believes forwarded headers from (TRUSTED_PROXIES): the client's address
 * in X-Forwarded-For and, with mTLS on, its certificate header. One judgement for both, so a proxy
 * trusted for one is trusted for the other and nobody else is trusted for either.
 */
export class TrustedProxies {
  private readonly networks: Network[];

  constructor(networks: readonly string[]) {
    this.networks = networks.map((network) => ipaddr.parseCIDR(network));
  }

  get isEmpty(): boolean {
    return this.networks.length === 0;
  }

  /** Whether `address` (as a socket or X-Forwarded-For names it) is one of them. */
  includes(address: string | undefined): boolean {
    if (address === undefined || !ipaddr.isValid(address)) return false;
    // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
    const parsed = ipaddr.process(address);
    return this.networks.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits));
  }
}
