import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const WELL_FORMED = /^[A-Za-z0-9._:-]{6,128}$/;

/**
 * Random bytes for minted ids, refilled 4 KiB (256 ids) at a time. Hex-encoding 16 of them costs
 * about a quarter of `randomUUID().replace(/-/g, '')`, whose regex replace alone was 2% of a
 * bare request's CPU.
 */
const ID_BYTES = 16;
const pool = Buffer.alloc(256 * ID_BYTES);
let offset = pool.length;

/** `req_` and 32 lowercase hex characters from the CSPRNG. */
export function mintRequestId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = 'req_' + pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

/** Keeps a caller's well-formed X-Request-Id (so traces join up); otherwise mints one. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  if (typeof incoming === 'string' && WELL_FORMED.test(incoming)) return incoming;
  return mintRequestId();
}
