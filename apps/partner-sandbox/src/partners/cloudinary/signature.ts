import { createHash } from 'node:crypto';
import { safeEqual } from '../shared/ids';

/** Parameters Cloudinary leaves out of the string to sign. */
const UNSIGNED = new Set(['file', 'cloud_name', 'resource_type', 'api_key', 'signature']);

/**
 * Cloudinary's string to sign: every other non-empty parameter, sorted by name, as `k=v` joined
 * by `&`. Signature version 2 (the SDK's default) escapes `&` inside values as `%26` so a value
 * cannot smuggle another parameter; version 1 does not.
 */
export function stringToSign(params: Record<string, string>, version: 1 | 2 = 2): string {
  return Object.entries(params)
    .filter(([k, v]) => !UNSIGNED.has(k) && v !== undefined && v !== null && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (version >= 2 ? `${k}=${v}`.replace(/&/g, '%26') : `${k}=${v}`))
    .join('&');
}

/** SHA-1 (40 hex) or SHA-256 (64 hex) of the string to sign followed directly by the API secret. */
export function sign(toSign: string, apiSecret: string, algorithm: 'sha1' | 'sha256' = 'sha1'): string {
  return createHash(algorithm).update(toSign + apiSecret).digest('hex');
}

/** Whether `signature` is valid for `params` under either signature version; the algorithm follows from its length. */
export function verifySignature(params: Record<string, string>, signature: string, apiSecret: string): boolean {
  const algorithm = signature.length === 64 ? 'sha256' : 'sha1';
  return ([2, 1] as const).some((v) => safeEqual(sign(stringToSign(params, v), apiSecret, algorithm), signature.toLowerCase()));
}
