import { TrustedProxies } from './trusted-proxies.js';

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8']);

  it('trusts the peers in its ranges, IPv4 ones on a dual-stack socket too', () => {
    expect(proxies.includes('10.1.2.3')).toBe(true);
    expect(proxies.includes('::ffff:127.0.0.1')).toBe(true);
    expect(proxies.includes('fd12::1')).toBe(true);
  });

  it('trusts nothing else: other addresses, other families, what is no address', () => {
    for (const other of ['192.0.2.7', '127.0.0.2', '::1', '11.0.0.1', 'fe80::1', 'proxy.local', '', undefined]) {
      expect(proxies.includes(other)).toBe(false);
    }
    expect(new TrustedProxies([]).isEmpty).toBe(true);
    expect(new TrustedProxies([]).includes('127.0.0.1')).toBe(false);
  });
});
