import { BlockList, isIPv4, isIPv6, SocketAddress } from 'node:net';

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket reports) as the IPv4 address it is. */
function plainAddress(ip: string): string {
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/**
 * A test of client addresses against configured addresses and CIDR ranges: the corporate network
 * (insidecorporatenetwork claim, ENTRA.md §2.6), the banned addresses. A bare address is its own /32 or /128.
 */
export function addressRanges(ranges: string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const r of ranges) {
    const [addr, bits] = r.split('/') as [string, string | undefined];
    const family = isIPv6(addr) ? 'ipv6' : 'ipv4';
    list.addSubnet(addr, bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits), family);
  }
  return (ip) => {
    const plain = plainAddress(ip);
    if (isIPv4(plain)) return list.check(plain, 'ipv4');
    if (isIPv6(plain)) return list.check(plain, 'ipv6');
    return false;
  };
}

/**
 * The bucket an address counts in (rate limits, failed-password throttling, familiar locations): an
 * IPv4 address, or the /64 of an IPv6 one — the smallest network a site is given (RFC 6177), which
 * one client can fill with 2^64 addresses of its own, and within which a device's privacy addresses
 * change (RFC 8981).
 */
export function addressBucket(ip: string): string {
  const plain = plainAddress(ip);
  if (!isIPv6(plain)) return plain;
  const sl = new SocketAddress({ address: plain, family: 'ipv6' });
  // Expand :: so the first four groups are the /64.
  const [head = '', tail = ''] = sl.address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = sl.address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':')}::/64`;
}
