import { staticResolver } from '@backchannel/testing';
import { EgressPolicyChecker } from './egress-policy.js';
import type { Resolver } from './egress.types.js';

const strict = new EgressPolicyChecker({ allowHttp: false, allowedNetworks: [] });

describe('EgressPolicyChecker.checkAddress', () => {
  it.each([
    ['93.184.216.34', 'public IPv4'],
    ['8.8.8.8', 'public IPv4'],
    ['2606:4700:4700::1111', 'public IPv6'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['2002:808:808::1', '6to4 of a public IPv4'],
    ['64:ff9b::808:808', 'NAT64 of a public IPv4'],
  ])('allows %s (%s)', (address) => {
    expect(strict.checkAddress(address)).toEqual({ allowed: true });
  });

  it.each([
    ['10.0.0.1', 'a private address'],
    ['172.16.5.4', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['fc00::1', 'a unique-local address'],
    ['fd12:3456::1', 'a unique-local address'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['0.0.0.0', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['255.255.255.255', 'a broadcast address'],
    ['224.0.0.1', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['240.0.0.1', 'a reserved address'],
    ['192.0.2.1', 'a reserved address'],
    ['2001:db8::1', 'a reserved address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:10.1.2.3', 'a private address'],
    ['2002:a00:1::', 'a private address'],
    ['64:ff9b::7f00:1', 'a loopback address'],
    // Teredo: the client's IPv4 address is stored inverted (here 192.168.0.1).
    ['2001:0:4136:e378:8000:63bf:3f57:fffe', 'a private address'],
  ])('refuses %s as %s', (address, description) => {
    expect(strict.checkAddress(address)).toEqual({ allowed: false, reason: `resolves to ${description}` });
  });

  it.each(['169.254.169.254', '169.254.0.1', 'fe80::1', 'fe80::1%eth0', '::ffff:169.254.169.254', '2002:a9fe:a9fe::'])(
    'refuses the link-local %s even when every network is allowed',
    (address) => {
      const open = new EgressPolicyChecker({ allowHttp: false, allowedNetworks: ['0.0.0.0/0', '::/0'] });
      expect(open.checkAddress(address)).toEqual({
        allowed: false,
        reason: 'resolves to a link-local address, which is never allowed',
      });
    },
  );

  it.each(['fd00:ec2::254', '100.100.100.200'])(
    'refuses the cloud metadata address %s even when allow-listed',
    (address) => {
      const open = new EgressPolicyChecker({ allowHttp: false, allowedNetworks: ['fd00::/8', '100.64.0.0/10'] });
      expect(open.checkAddress(address)).toEqual({
        allowed: false,
        reason: 'resolves to a cloud metadata address, which is never allowed',
      });
    },
  );

  it('allows non-public addresses inside the allowed networks only', () => {
    const checker = new EgressPolicyChecker({
      allowHttp: false,
      allowedNetworks: ['127.0.0.0/8', '::1/128', '10.1.0.0/16'],
    });
    expect(checker.checkAddress('127.0.0.1')).toEqual({ allowed: true });
    expect(checker.checkAddress('::1')).toEqual({ allowed: true });
    expect(checker.checkAddress('::ffff:127.0.0.1')).toEqual({ allowed: true });
    expect(checker.checkAddress('10.1.200.3')).toEqual({ allowed: true });
    expect(checker.checkAddress('10.2.0.1')).toEqual({ allowed: false, reason: 'resolves to a private address' });
    expect(checker.checkAddress('192.168.0.1').allowed).toBe(false);
  });

  it('refuses what is not a canonical IP address', () => {
    expect(strict.checkAddress('example.com')).toEqual({ allowed: false, reason: 'does not resolve to an IP address' });
    expect(strict.checkAddress('0x7f.1').allowed).toBe(false);
  });

  it('throws at construction for an allowed network that is not a CIDR range', () => {
    expect(() => new EgressPolicyChecker({ allowHttp: false, allowedNetworks: ['10.0.0.0'] })).toThrow(
      "'10.0.0.0' is not an address range like 10.0.0.0/8",
    );
  });
});

describe('EgressPolicyChecker.checkEndpointSyntax', () => {
  it.each([
    ['https://client.example.com/cb', { allowed: true }],
    ['https://client.example.com:8443/cb?tenant=1', { allowed: true }],
    ['http://client.example.com/cb', { allowed: false, reason: 'must be an absolute https URL' }],
    ['/cb', { allowed: false, reason: 'must be an absolute https URL' }],
    ['ftp://client.example.com/cb', { allowed: false, reason: 'must be an absolute https URL' }],
    ['https://client.example.com/cb#part', { allowed: false, reason: 'must not contain a fragment' }],
    ['https://client.example.com/cb#', { allowed: false, reason: 'must not contain a fragment' }],
    ['https://user:pw@client.example.com/cb', { allowed: false, reason: 'must not contain user information' }],
    ['https://user@client.example.com/cb', { allowed: false, reason: 'must not contain user information' }],
  ])('%s -> %j', (url, verdict) => {
    expect(strict.checkEndpointSyntax(url)).toEqual(verdict);
  });

  it.each([
    'https://evil.com\\@good.com/cb',
    'https://good.com\\evil.com/cb',
    'https://client.example.com/c b',
    'https://client.example.com/cb\t',
    ' https://client.example.com/cb',
    'https://client.example.com/caf\u00e9',
    'https://b\u00fccher.example/cb',
    'https://client.example.com/\ud800',
  ])('refuses %j: what the URL parser would rewrite is not stored', (url) => {
    expect(strict.checkEndpointSyntax(url)).toEqual({
      allowed: false,
      reason: 'must be printable ASCII without a backslash (a host in its A-label form)',
    });
  });

  it.each([
    'https://client.example.com:443/cb',
    'https://client.example.com:8443/cb',
    'https://client.example.com:1024/cb',
    'https://client.example.com:40123/cb',
    'https://xn--bcher-kva.example/cb',
  ])('allows %s', (url) => {
    expect(strict.checkEndpointSyntax(url)).toEqual({ allowed: true });
  });

  it.each(['0', '1', '22', '25', '80', '1023', '3306', '5432', '6379', '9092', '11211', '27017'])(
    'refuses port %s',
    (port) => {
      expect(strict.checkEndpointSyntax(`https://client.example.com:${port}/cb`)).toEqual({
        allowed: false,
        reason: `must not use port ${port} (allowed: 443, or from 1024 up except well-known service ports)`,
      });
    },
  );

  it('accepts plain http only when the policy allows it', () => {
    const relaxed = new EgressPolicyChecker({ allowHttp: true, allowedNetworks: [] });
    expect(relaxed.checkEndpointSyntax('http://client.example.com/cb')).toEqual({ allowed: true });
    expect(relaxed.checkEndpointSyntax('ws://client.example.com/cb')).toEqual({
      allowed: false,
      reason: 'must be an absolute http(s) URL',
    });
  });
});

describe('EgressPolicyChecker.checkNotificationEndpoint', () => {
  const resolver = staticResolver({
    'client.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
    'internal.example.com': ['10.0.0.7'],
    'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
    'metadata.example.com': ['169.254.169.254'],
  });

  it('allows a name whose every address is public', async () => {
    await expect(strict.checkNotificationEndpoint('https://client.example.com/cb', resolver)).resolves.toEqual({
      allowed: true,
    });
  });

  it.each([
    ['https://internal.example.com/cb', 'resolves to a private address'],
    ['https://mixed.example.com/cb', 'resolves to a loopback address'],
    ['https://metadata.example.com/cb', 'resolves to a link-local address, which is never allowed'],
    ['https://10.0.0.1/cb', 'resolves to a private address'],
    ['https://169.254.169.254/latest/meta-data', 'resolves to a link-local address, which is never allowed'],
    ['https://[fe80::1]/cb', 'resolves to a link-local address, which is never allowed'],
    ['https://[::ffff:7f00:1]/cb', 'resolves to a loopback address'],
    // The URL parser reads these as IPv4 addresses: checked as such, never sent to the resolver.
    ['https://2130706433/cb', 'resolves to a loopback address'],
    ['https://0x7f.1/cb', 'resolves to a loopback address'],
  ])('refuses %s: %s', async (url, reason) => {
    await expect(strict.checkNotificationEndpoint(url, resolver)).resolves.toEqual({ allowed: false, reason });
  });

  it('resolves nothing for a bad URL or an IP literal', async () => {
    const asked: string[] = [];
    const recordingResolver: Resolver = (hostname) => {
      asked.push(hostname);
      return resolver(hostname);
    };
    await expect(strict.checkNotificationEndpoint('http://client.example.com/cb', recordingResolver)).resolves.toEqual({
      allowed: false,
      reason: 'must be an absolute https URL',
    });
    await strict.checkNotificationEndpoint('https://10.0.0.1/cb', recordingResolver);
    expect(asked).toEqual([]);
  });

  it('allows a name that does not resolve: delivery resolves and checks again', async () => {
    await expect(strict.checkNotificationEndpoint('https://not-yet.example.com/cb', resolver)).resolves.toEqual({
      allowed: true,
    });
  });

  it('allows an internal name when its network is allow-listed', async () => {
    const internal = new EgressPolicyChecker({ allowHttp: false, allowedNetworks: ['10.0.0.0/24'] });
    await expect(internal.checkNotificationEndpoint('https://internal.example.com/cb', resolver)).resolves.toEqual({
      allowed: true,
    });
  });
});
