import { isIP } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** Network address as a bigint (IPv4 addresses in the low 32 bits). */
  network: bigint;
  bits: number;
  /** The prefix mask, computed once: checking a client address against it needs only an AND. */
  mask: bigint;
  text: string;
}

/** `::ffff:1.2.3.4` -> `1.2.3.4`, so IPv4 rules apply to IPv4 clients on dual-stack sockets. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1] : ip;
}

function ipToBigInt(ip: string, family: 4 | 6): bigint {
  if (family === 4) {
    return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  }
  // Expand IPv6 (with a possible embedded IPv4 tail) to 8 hextets.
  let head = ip;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (v4) {
    const n = Number(ipToBigInt(v4[1], 4));
    tail = [(n >>> 16) & 0xffff, n & 0xffff];
    head = ip.slice(0, -v4[1].length) + '0:0';
  }
  const [l, r] = head.split('::');
  const left = l ? l.split(':') : [];
  const right = r !== undefined ? (r ? r.split(':') : []) : [];
  const fill = r !== undefined ? 8 - left.length - right.length : 0;
  const parts = [...left, ...Array(fill).fill('0'), ...right].map((h) => parseInt(h || '0', 16));
  if (tail.length) parts.splice(6, 2, ...tail);
  return parts.reduce((acc, h) => (acc << 16n) | BigInt(h), 0n);
}

export function parseCidr(text: string): Cidr | null {
  const [rawIp, bitsText, extra] = text.trim().split('/');
  if (extra !== undefined || !rawIp) return null;
  const ip = normalizeIp(rawIp);
  const family = isIP(ip);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return null;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (bits > max) return null;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(max - bits);
  return { family, network: ipToBigInt(ip, family) & mask, bits, mask, text: `${ip}/${bits}` };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const addr = normalizeIp(ip);
  const family = isIP(addr);
  if (family !== cidr.family) return false;
  return (ipToBigInt(addr, family) & cidr.mask) === cidr.network;
}

/** Whether every address of `inner` is in `outer` (same family, no wider, same network under outer's mask). */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.bits >= outer.bits && (inner.network & outer.mask) === outer.network;
}

export function parseCidrList(text: string | undefined): Cidr[] {
  if (!text) return [];
  return text
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => {
      const parsed = parseCidr(c);
      if (!parsed) throw new Error(`invalid CIDR ${c}`);
      return parsed;
    });
}

/**
 * The client address: the socket peer, unless the peer is a trusted proxy, in which case
 * X-Forwarded-For is walked from the right, skipping trusted hops (the left-most entries
 * are client-controlled and never trusted on their own).
 */
export function resolveClientIp(
  socketIp: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: Cidr[],
): string {
  let ip = normalizeIp(socketIp ?? '');
  if (!trusted.length || !forwardedFor) return ip;
  const isTrusted = (a: string) => trusted.some((c) => cidrContains(c, a));
  if (!isTrusted(ip)) return ip;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => normalizeIp(h.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isIP(hops[i])) return ip;
    ip = hops[i];
    if (!isTrusted(ip)) return ip;
  }
  return ip;
}
