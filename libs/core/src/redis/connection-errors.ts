import type { Logger } from '@nestjs/common';

/** While a connection stays broken, one log line per this long (clients report every reconnect attempt). */
export const CONNECTION_ERROR_LOG_EVERY_MS = 10_000;

interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): unknown;
  listenerCount(event: string): number;
}

/**
 * Logs an ioredis client's or a BullMQ queue's / worker's connection errors, at most once per
 * CONNECTION_ERROR_LOG_EVERY_MS. Without an 'error' listener both print every failed reconnect
 * attempt to stderr ("[ioredis] Unhandled error event"), outside the structured log. Returns a
 * function to call when the connection works again, so the next outage is logged at once.
 */
export function logConnectionErrors(emitter: ErrorEmitter, logger: Logger, what: string): () => void {
  let down = false;
  let lastLogged = 0;
  emitter.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged < CONNECTION_ERROR_LOG_EVERY_MS) return;
    lastLogged = now;
    // The message only: an ioredis error can carry the connection options, whose URL may hold a password.
    logger.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, down ? `${what} still unreachable` : `${what} unreachable; retrying`);
    down = true;
  });
  return () => {
    if (!down) return;
    down = false;
    lastLogged = 0;
    logger.log(`${what} reachable again`);
  };
}
