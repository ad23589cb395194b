import { randomBytes } from 'node:crypto';

/** `0-9A-Za-z` in that order (CONTRACT "API keys"): the checksum's base62 alphabet. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_ID_LENGTH = 12;
export const SECRET_LENGTH = 32;
export const CHECKSUM_LENGTH = 6;
/** `nsk_live_` + keyId + `_` + secret + checksum. */
export const KEY_LENGTH = 9 + KEY_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;

export type KeyEnvironment = 'live' | 'test';

export interface ParsedKey {
  environment: KeyEnvironment;
  keyId: string;
  secret: string;
}

/** Uniform base62 characters from the CSPRNG (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** CRC-32 (IEEE 802.3, zlib's) lookup table. */
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * CRC-32 (equal to zlib's) of the first `end` characters of an ASCII string, in JS: a key is
 * checked on every request with a new header (and on every request of a storm of made-up keys),
 * and zlib's crc32 first converts the string to UTF-8 across the C++ boundary, which costs more
 * than the CRC itself. Callers pass ASCII only (keys are base62, `_` and `nsk`).
 */
export function crc32Ascii(text: string, end = text.length): number {
  let c = -1;
  for (let i = 0; i < end; i++) c = CRC_TABLE[(c ^ text.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Value of a base62 digit (0-9A-Za-z), or -1. */
function base62Digit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 90) return c - 55;
  if (c >= 97 && c <= 122) return c - 61;
  return -1;
}

export function base62Checksum(body: string): string {
  let n = crc32Ascii(body);
  let out = '';
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(CHECKSUM_LENGTH, '0');
}

export function formatKey(environment: KeyEnvironment, keyId: string, secret: string): string {
  const body = `nsk_${environment}_${keyId}_${secret}`;
  return body + base62Checksum(body);
}

export function generateKey(environment: KeyEnvironment): { key: string; keyId: string; secret: string } {
  const keyId = randomBase62(KEY_ID_LENGTH);
  const secret = randomBase62(SECRET_LENGTH);
  return { key: formatKey(environment, keyId, secret), keyId, secret };
}

/**
 * Shape and checksum only: no I/O, so a storm of made-up keys costs a few microseconds each and
 * never reaches Postgres or Redis. Returns null for anything that is not a well-formed key.
 */
export function parseKey(text: string): ParsedKey | null {
  if (text.length !== KEY_LENGTH) return null;
  if (!text.startsWith('nsk_')) return null;
  const env = text.slice(4, 8);
  if ((env !== 'live' && env !== 'test') || text.charCodeAt(8) !== 95 /* _ */) return null;
  if (text.charCodeAt(9 + KEY_ID_LENGTH) !== 95) return null;
  for (let i = 9; i < KEY_LENGTH - CHECKSUM_LENGTH; i++) {
    if (i === 9 + KEY_ID_LENGTH) continue;
    if (base62Digit(text.charCodeAt(i)) < 0) return null;
  }
  // The checksum compared as a number: its 6 digits decoded, against the CRC of everything before
  // it (62^6 > 2^32, so every CRC has exactly one padded 6-digit form and the two tests agree).
  let expected = 0;
  for (let i = KEY_LENGTH - CHECKSUM_LENGTH; i < KEY_LENGTH; i++) {
    const d = base62Digit(text.charCodeAt(i));
    if (d < 0) return null;
    expected = expected * 62 + d;
  }
  if (crc32Ascii(text, KEY_LENGTH - CHECKSUM_LENGTH) !== expected) return null;
  return {
    environment: env,
    keyId: text.slice(9, 9 + KEY_ID_LENGTH),
    secret: text.slice(10 + KEY_ID_LENGTH, 10 + KEY_ID_LENGTH + SECRET_LENGTH),
  };
}

export const KEY_ID_PATTERN = /^[0-9A-Za-z]{12}$/;
