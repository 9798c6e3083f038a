import type { NetworkInterfaceInfo } from 'node:os';

/** What os.networkInterfaces() answers: each interface's addresses, by interface name. */
export type NetworkInterfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The private IPv4 ranges: RFC 1918, and RFC 6598's shared address space (some clusters' pod networks). */
const PRIVATE_IPV4: readonly (readonly [prefix: number, bits: number])[] = [
  [ipv4(10, 0, 0, 0), 8],
  [ipv4(172, 16, 0, 0), 12],
  [ipv4(192, 168, 0, 0), 16],
  [ipv4(100, 64, 0, 0), 10],
];

function ipv4(...octets: number[]): number {
  return octets.reduce((value, octet) => value * 256 + octet, 0);
}

function isPrivateIpv4(address: string): boolean {
  const value = ipv4(...address.split('.').map(Number));
  return PRIVATE_IPV4.some(([prefix, bits]) => value - (value % 2 ** (32 - bits)) === prefix);
}

/** IPv6 unique local addresses, fc00::/7 (RFC 4193): a first group of fcXX or fdXX (`fd::1` is 00fd, not one). */
function isUniqueLocalIpv6(address: string): boolean {
  return /^f[cd][0-9a-f]{2}:/i.test(address);
}

/**
 * The address an inner service listens on when HOST is not set: the machine's first private one,
 * so that what only the other services call is not reachable from a public interface. An IPv4
 * address (RFC 1918 or RFC 6598) is preferred to an IPv6 unique local one; within a family, the
 * interfaces' order decides. Loopback and link-local addresses are never chosen (the other services
 * cannot reach them). Null: the machine has no private address.
 */
export function privateAddressOf(interfaces: NetworkInterfaces): string | null {
  const external = Object.values(interfaces)
    .flatMap((addresses) => addresses ?? [])
    .filter((info) => !info.internal);
  return (
    external.find((info) => info.family === 'IPv4' && isPrivateIpv4(info.address))?.address ??
    external.find((info) => info.family === 'IPv6' && isUniqueLocalIpv6(info.address))?.address ??
    null
  );
}
