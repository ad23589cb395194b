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

/** What an address or CIDR must look like, as a field's message. */
export const CIDR_RULE = 'must be an IPv4 or IPv6 address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32';

const v4Text = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 255n)).join('.');

/** The parsed CIDR and whether its address had bits set past the prefix, or why the text is not one. */
function readCidr(input: unknown, stored = false): { cidr: Cidr; hostBits: boolean } | string {
  if (typeof input !== 'string') return CIDR_RULE;
  // Refused, not trimmed: padding usually means the client split its list wrongly, which a quietly
  // trimmed value would hide. A stored value (accepted before this rule) is read as it matched then.
  if (input !== input.trim() && !stored) return 'must not have spaces around it';
  const text = stored ? input.trim() : input;
  const [address, bitsText, extra] = text.split('/');
  if (extra !== undefined || !address) return CIDR_RULE;
  // isIP takes `fe80::1%eth0`, but a zone names one host's interface: no client address carries it
  // here. One stored before this rule keeps matching its address (it never saw a zone either).
  const zone = address.indexOf('%');
  if (zone !== -1 && !stored) return 'must not carry a zone id (such as %eth0)';
  const rawIp = zone === -1 ? address : address.slice(0, zone);
  const written = isIP(rawIp);
  if (written !== 4 && written !== 6) return CIDR_RULE;
  let family: 4 | 6 = written;
  let max = family === 4 ? 32 : 128;
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return CIDR_RULE;
  let bits = bitsText === undefined ? max : Number(bitsText);
  if (bits > max) return CIDR_RULE;
  let value = ipToBigInt(rawIp, family);
  let ip = rawIp;
  // Client addresses on dual-stack sockets are read as IPv4 (normalizeIp), so an IPv4-mapped rule
  // (`::ffff:10.0.0.0/104`, in any spelling) is kept as the IPv4 one or it would never match.
  if (family === 6 && value >> 32n === 0xffffn && bits >= 96) {
    family = 4;
    max = 32;
    bits -= 96;
    value &= 0xffffffffn;
    ip = v4Text(value);
  }
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(max - bits);
  const network = value & mask;
  return { cidr: { family, network, bits, mask, text: `${ip}/${bits}` }, hostBits: network !== value };
}

/**
 * Reads an address (as /32 or /128) or CIDR already accepted somewhere: a stored allow list or
 * TRUSTED_PROXIES. Bits set past the prefix are masked off rather than refused, so a value stored
 * before cidrInputProblem refused them keeps matching what it always matched.
 */
export function parseCidr(text: string): Cidr | null {
  const r = readCidr(text, true);
  return typeof r === 'string' ? null : r.cidr;
}

/**
 * Why a client-written address or CIDR is refused, as a field's message, or null when it is fine.
 * Stricter than parseCidr: `10.0.0.1/24` is refused, as Postgres's cidr type and Python's
 * ip_network do, because a caller who wrote it may have meant the one address or the network, and
 * an allow list must not guess wider.
 */
export function cidrInputProblem(text: unknown): string | null {
  const r = readCidr(text);
  if (typeof r === 'string') return r;
  if (!r.hostBits) return null;
  const ip = r.cidr.text.slice(0, r.cidr.text.indexOf('/'));
  const network = r.cidr.family === 4 ? v4Text(r.cidr.network) : v6Text(r.cidr.network);
  return `has bits set past the /${r.cidr.bits} prefix: write ${network}/${r.cidr.bits} for the network, or ${ip} for the one address`;
}

/** Compressed text of an IPv6 address (RFC 5952: the longest run of two or more zero groups as ::). */
function v6Text(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
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
      // Configuration is read strictly: a zone id (which stored allow lists tolerate) is a mistake here.
      const parsed = c.includes('%') ? null : parseCidr(c);
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
