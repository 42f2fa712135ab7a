// TURN facts the model, the renderer and the check share: the peer ranges coturn must refuse (in
// the `a-b` form coturn 4.6 parses; a CIDR is dropped with "Wrong address format"), and whether an
// address is one a relay must never hand out.
import { isIP } from 'node:net';

/** Ranges a relayed client must not reach: private, CGNAT, loopback, link-local, documentation, multicast, reserved. */
export const DENIED_PEER_RANGES: readonly string[] = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.0.0.0-192.0.0.255',
  '192.0.2.0-192.0.2.255',
  '192.88.99.0-192.88.99.255',
  '192.168.0.0-192.168.255.255',
  '198.18.0.0-198.19.255.255',
  '198.51.100.0-198.51.100.255',
  '203.0.113.0-203.0.113.255',
  '240.0.0.0-255.255.255.255',
  '::1',
  '64:ff9b::-64:ff9b::ffff:ffff',
  '::ffff:0.0.0.0-::ffff:255.255.255.255',
  '100::-100::ffff:ffff:ffff:ffff',
  '2001::-2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff',
  '2002::-2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

function v4(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** IPv4 ranges (as numbers) a relay address must not be in: private, CGNAT, loopback, link-local, unspecified. */
const NOT_PUBLIC_V4: ReadonlyArray<readonly [string, string]> = [
  ['0.0.0.0', '0.255.255.255'],
  ['10.0.0.0', '10.255.255.255'],
  ['100.64.0.0', '100.127.255.255'],
  ['127.0.0.0', '127.255.255.255'],
  ['169.254.0.0', '169.254.255.255'],
  ['172.16.0.0', '172.31.255.255'],
  ['192.168.0.0', '192.168.255.255'],
];

/**
 * Why clients elsewhere could not reach this as a relay address (private, CGNAT, loopback,
 * link-local, a container's address), or undefined for an address the internet routes.
 */
export function nonPublicReason(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) {
    const n = v4(ip);
    if (NOT_PUBLIC_V4.some(([a, b]) => n >= v4(a) && n <= v4(b)))
      return ip.startsWith('127.') ? 'a loopback address' : 'a private, CGNAT or link-local address';
    return undefined;
  }
  if (family === 6) {
    const l = ip.toLowerCase();
    if (l === '::1' || l === '::') return 'a loopback address';
    if (/^f[cd]/.test(l)) return 'a unique local (private) address';
    if (/^fe[89ab]/.test(l)) return 'a link-local address';
    return undefined;
  }
  return 'not an IP address';
}

/** Whether two inclusive port ranges share a port. */
export const rangesOverlap = (a: { min: number; max: number }, b: { min: number; max: number }): boolean =>
  a.min <= b.max && b.min <= a.max;
