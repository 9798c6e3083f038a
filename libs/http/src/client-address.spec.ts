import { clientAddressKey } from './client-address.js';

describe('clientAddressKey', () => {
  it('counts an IPv4 client by its address, unmapped from a dual-stack socket', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an IPv6 client by its /64, which one host can fill with addresses', () => {
    expect(clientAddressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:2:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
  });

  it('finds no address in what is none', () => {
    expect(clientAddressKey(undefined)).toBeNull();
    expect(clientAddressKey('')).toBeNull();
    expect(clientAddressKey('not-an-address')).toBeNull();
  });
});
