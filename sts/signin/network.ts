import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Decides the insidecorporatenetwork claim (ENTRA.md §2.6) from configured CIDR ranges. */
export function corporateNetwork(ranges: string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const r of ranges) {
    const [addr, bits] = r.split('/') as [string, string];
    list.addSubnet(addr, Number(bits), isIPv6(addr) ? 'ipv6' : 'ipv4');
  }
  return (ip) => {
    const plain = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
    if (isIPv4(plain)) return list.check(plain, 'ipv4');
    if (isIPv6(plain)) return list.check(plain, 'ipv6');
    return false;
  };
}
