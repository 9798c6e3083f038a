import type { NetworkInterfaceInfo } from 'node:os';
import { type NetworkInterfaces, privateAddressOf } from './private-address.js';

function address(address: string, internal = false): NetworkInterfaceInfo {
  const family = address.includes(':') ? 'IPv6' : 'IPv4';
  return { address, family, internal, netmask: '', mac: '00:00:00:00:00:00', cidr: null } as NetworkInterfaceInfo;
}

const loopback = { lo: [address('127.0.0.1', true), address('::1', true)] };

describe('privateAddressOf', () => {
  it.each(['10.1.2.3', '172.16.0.1', '172.31.255.254', '192.168.1.20', '100.64.0.7', '100.127.255.1'])(
    'chooses the private IPv4 address %s',
    (private4) => {
      expect(privateAddressOf({ ...loopback, eth0: [address('203.0.113.9'), address(private4)] })).toBe(private4);
    },
  );

  it.each(['172.15.255.1', '172.32.0.1', '192.169.0.1', '100.63.255.255', '100.128.0.1', '11.0.0.1', '169.254.1.1'])(
    'never chooses %s, which is not private (or only link-local)',
    (other) => {
      expect(privateAddressOf({ ...loopback, eth0: [address(other)] })).toBeNull();
    },
  );

  it('chooses an IPv6 unique local address where there is no private IPv4 one', () => {
    const eth0 = [address('192.0.2.2'), address('fe80::fc:ff:fe00:1'), address('fd00::2'), address('fc12::3')];
    expect(privateAddressOf({ ...loopback, eth0 })).toBe('fd00::2');
    // fd::1 is 00fd::1, a global address; link-local and loopback are never reachable by the other services
    expect(
      privateAddressOf({ ...loopback, eth0: [address('fd::1'), address('fe80::1'), address('2001:db8::1')] }),
    ).toBe(null);
  });

  it('prefers a private IPv4 address to a unique local IPv6 one, and otherwise takes the first', () => {
    const interfaces: NetworkInterfaces = {
      eth0: [address('fd00::2')],
      eth1: [address('10.0.0.9')],
      eth2: [address('192.168.0.9')],
    };
    expect(privateAddressOf(interfaces)).toBe('10.0.0.9');
  });

  it('ignores loopback, even a private address marked internal, and interfaces without addresses', () => {
    expect(privateAddressOf({ ...loopback, dummy: [address('10.9.9.9', true)], down: undefined })).toBeNull();
    expect(privateAddressOf({})).toBeNull();
  });
});
