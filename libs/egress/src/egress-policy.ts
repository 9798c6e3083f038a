import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { EgressPolicy, EndpointVerdict, Resolver } from './egress.types.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Every address of a host name, as the operating system resolves it (hosts file, then DNS). */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

const ALLOWED: EndpointVerdict = { allowed: true };

/** Cloud metadata services outside the link-local ranges (AWS over IPv6, Alibaba Cloud). */
const METADATA_ADDRESSES = ['fd00:ec2::254', '100.100.100.200'].map((address) =>
  ipaddr.parse(address).toNormalizedString(),
);

const WELL_KNOWN_NAT64_PREFIX = ipaddr.parseCIDR('64:ff9b::/96');

const RANGE_DESCRIPTIONS: Record<string, string> = {
  private: 'a private address',
  loopback: 'a loopback address',
  uniqueLocal: 'a unique-local address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  metadata: 'a cloud metadata address',
};

/**
 * The egress policy with its allow-list parsed once: which addresses and URLs a notification may
 * go to. Public unicast addresses are allowed; every other range only inside `allowedNetworks`;
 * link-local and metadata addresses never, so an allow-list cannot open the metadata service.
 */
export class EgressPolicyChecker {
  private readonly allowedNetworks: [Address, number][];

  /** Throws when an allowed network is not a CIDR range. */
  constructor(private readonly policy: EgressPolicy) {
    this.allowedNetworks = policy.allowedNetworks.map((network) => {
      if (!ipaddr.isValidCIDR(network)) throw new Error(`'${network}' is not an address range like 10.0.0.0/8`);
      return ipaddr.parseCIDR(network);
    });
  }

  checkAddress(ip: string): EndpointVerdict {
    // Canonical forms only: what is checked is exactly what the socket connects to.
    if (isIP(ip) === 0) return { allowed: false, reason: 'does not resolve to an IP address' };
    const address = onTheWire(ipaddr.parse(ip));
    const neverAllowed = neverAllowedRange(address);
    if (neverAllowed) return refused(`${RANGE_DESCRIPTIONS[neverAllowed]}, which is never allowed`);
    if (this.allowedNetworks.some((network) => isInNetwork(address, network))) return ALLOWED;
    const nonPublic = nonPublicRange(address);
    return nonPublic ? refused(RANGE_DESCRIPTIONS[nonPublic] ?? 'a reserved address') : ALLOWED;
  }

  /** Every address must be allowed: the first refusal, if any. */
  checkAddresses(addresses: readonly string[]): EndpointVerdict {
    return addresses.map((address) => this.checkAddress(address)).find((verdict) => !verdict.allowed) ?? ALLOWED;
  }

  /**
   * The URL alone: absolute, https (http only when allowed), printable ASCII without a backslash,
   * no fragment, no user information, and an allowed port (isAllowedPort). One rule for every registration
   * edge and every delivery, so what is stored is what is called.
   */
  checkEndpointSyntax(url: string): EndpointVerdict {
    // The URL parser rewrites these (a backslash becomes '/', spaces and tabs are dropped, other
    // characters are encoded), while other parsers read `https://evil.com\@good.com` as good.com.
    if (!/^[\x21-\x7E]*$/.test(url) || url.includes('\\')) {
      return { allowed: false, reason: 'must be printable ASCII without a backslash (a host in its A-label form)' };
    }
    const parsed = URL.parse(url);
    const schemes = this.policy.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!parsed || !schemes.includes(parsed.protocol)) {
      return { allowed: false, reason: `must be an absolute ${this.policy.allowHttp ? 'http(s)' : 'https'} URL` };
    }
    // `URL.hash` is empty for a bare trailing '#', so look at the text itself.
    if (url.includes('#')) return { allowed: false, reason: 'must not contain a fragment' };
    if (parsed.username || parsed.password) return { allowed: false, reason: 'must not contain user information' };
    // `URL.port` is empty for the scheme's default port (443, or 80 for an allowed http URL).
    if (parsed.port !== '' && !isAllowedPort(Number(parsed.port))) {
      return {
        allowed: false,
        reason: `must not use port ${parsed.port} (allowed: 443, or from 1024 up except well-known service ports)`,
      };
    }
    return ALLOWED;
  }

  /**
   * The URL, then every address its host resolves to: one refused address refuses the endpoint.
   * A name that does not resolve is allowed here (it may exist by the time a notification is
   * sent); the HTTP client resolves and checks again on every connection.
   */
  async checkNotificationEndpoint(url: string, resolve: Resolver = systemResolver): Promise<EndpointVerdict> {
    const syntax = this.checkEndpointSyntax(url);
    if (!syntax.allowed) return syntax;
    const { hostname } = new URL(url);
    // An IPv6 literal keeps its brackets in URL.hostname.
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    let addresses: string[];
    try {
      addresses = await addressesOf(host, resolve);
    } catch {
      return ALLOWED;
    }
    return this.checkAddresses(addresses);
  }
}

/** The addresses a host stands for: an IP literal itself, a name every address it resolves to. */
export async function addressesOf(host: string, resolve: Resolver): Promise<string[]> {
  return isIP(host) === 0 ? (await resolve(host)).map(({ address }) => address) : [host];
}

/**
 * Ports an endpoint may name besides the scheme's default: 443, and any port from 1024 up (8443
 * among them) except those of databases, caches, brokers and cluster control planes, which an endpoint on
 * an allowed network could otherwise reach (0 and the system ports below 1024, such as 22 or 25,
 * never).
 */
const REFUSED_HIGH_PORTS = new Set([
  1433, 1521, 2375, 2376, 2379, 2380, 3306, 5432, 5984, 6379, 6443, 9042, 9092, 9200, 9300, 10250, 11211, 27017,
]);

function isAllowedPort(port: number): boolean {
  return port === 443 || (port >= 1024 && !REFUSED_HIGH_PORTS.has(port));
}

function refused(description: string): EndpointVerdict {
  return { allowed: false, reason: `resolves to ${description}` };
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address to the operating system. */
function onTheWire(address: Address): Address {
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

function isInNetwork(address: Address, [network, prefixLength]: [Address, number]): boolean {
  return address.kind() === network.kind() && address.match(network, prefixLength);
}

/**
 * The IPv4 address inside a 6to4, Teredo (its client), NAT64 (well-known prefix) or
 * IPv4-translated address; null for any other address.
 */
function carriedIPv4(address: Address): ipaddr.IPv4 | null {
  if (address instanceof ipaddr.IPv4) return null;
  const bytes = address.toByteArray();
  switch (address.range()) {
    case '6to4':
      return new ipaddr.IPv4(bytes.slice(2, 6));
    case 'teredo':
      return new ipaddr.IPv4(bytes.slice(12, 16).map((byte) => byte ^ 0xff));
    case 'rfc6052':
      return address.match(WELL_KNOWN_NAT64_PREFIX) ? new ipaddr.IPv4(bytes.slice(12, 16)) : null;
    case 'rfc6145':
      return new ipaddr.IPv4(bytes.slice(12, 16));
    default:
      return null;
  }
}

function neverAllowedRange(address: Address): string | null {
  if (METADATA_ADDRESSES.includes(address.toNormalizedString())) return 'metadata';
  if (address.range() === 'linkLocal') return 'linkLocal';
  const carried = carriedIPv4(address);
  return carried ? neverAllowedRange(carried) : null;
}

/** The special-purpose range of an address, or null for a public unicast one. */
function nonPublicRange(address: Address): string | null {
  const carried = carriedIPv4(address);
  if (carried) return nonPublicRange(carried);
  const range = address.range();
  return range === 'unicast' ? null : range;
}
