import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** Hex HMAC-SHA256 of the exact bytes Razorpay sent (what `X-Razorpay-Signature` carries). */
export function razorpaySignature(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/**
 * True when `signature` is the HMAC of `rawBody` under any of `secrets` (current first, then the
 * previous one during a rotation). The comparison is constant-time over equal-length buffers; a
 * header of the wrong shape is refused before any HMAC is compared, so its length leaks nothing
 * about the expected value. Every secret is tried even after a match so the time taken does not
 * say which secret signed.
 */
export function verifyRazorpaySignature(rawBody: Buffer, signature: string | string[] | undefined, secrets: readonly string[]): boolean {
  if (typeof signature !== 'string' || !HEX_SHA256.test(signature) || secrets.length === 0) return false;
  const given = Buffer.from(signature.toLowerCase(), 'hex');
  let ok = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}
