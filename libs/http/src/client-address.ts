import ipaddr from 'ipaddr.js';

/** IPv6 hosts get a /64 each: counting single addresses in it would let one host count as 2^64. */
const IPV6_HOST_PREFIX = 64;

/**
 * What abuse is counted by for a request from `address` (Fastify's request.ip: the socket's peer,
 * or the client X-Forwarded-For names when the peer is a trusted proxy): an IPv4 address as is (an
 * IPv4-mapped IPv6 one unmapped), an IPv6 address as its /64. Null when it is no address at all.
 */
export function clientAddressKey(address: string | undefined): string | null {
  if (address === undefined || !ipaddr.isValid(address)) return null;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const prefix = ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/${IPV6_HOST_PREFIX}`);
  return `${prefix.toString()}/${IPV6_HOST_PREFIX}`;
}
