import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses a caller's URL must not make the gateway connect to: its own host, the private
 * networks it sits in, link-local (cloud metadata services, 169.254.169.254), and the ranges no
 * public host uses (RFC 6890's special-purpose registries, IANA's IPv4 and IPv6 tables).
 */
const notPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  notPublic.addSubnet(network, prefix, 'ipv4');
  // The same IPv4 networks carried inside IPv6 addresses that reach them: NAT64's well-known
  // prefix (RFC 6052; an IPv6-only host behind DNS64/NAT64, as on AWS, reaches the private IPv4
  // addresses of its network through it, and DNS64 makes such an address for any name whose A
  // record is private), IPv4-translated (SIIT), IPv4-compatible (deprecated), and 6to4.
  notPublic.addSubnet(`64:ff9b::${network}`, 96 + prefix, 'ipv6');
  notPublic.addSubnet(`::ffff:0:${network}`, 96 + prefix, 'ipv6');
  notPublic.addSubnet(`::${network}`, 96 + prefix, 'ipv6');
  const [a, b, c, d] = network.split('.').map(Number) as [number, number, number, number];
  notPublic.addSubnet(`2002:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}::`, 16 + prefix, 'ipv6');
}
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) notPublic.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address (v4, v6, or v4 mapped into v6) is one a public host can have. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    // ::ffff:10.0.0.1 and ::10.0.0.1 reach the IPv4 address they carry.
    const mapped = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return isPublicAddress(mapped);
    return !notPublic.check(address, 'ipv6');
  }
  return !notPublic.check(address, 'ipv4');
}

/**
 * A DNS lookup for sockets (undici's `connect.lookup`) that fails for a name resolving to an
 * address that is not public: checked where the connection is made, so a name that resolves to
 * a public address when checked and to a private one when connecting (DNS rebinding) is caught.
 */
export const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused || addresses.length === 0) {
      const failure = Object.assign(new Error(`${hostname} resolves to an address that is not public`), { code: 'ENOTPUBLIC' });
      return callback(failure, '', 0);
    }
    if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
