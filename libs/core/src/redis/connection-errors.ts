import type { Logger } from '@nestjs/common';

/** While a connection stays broken, one log line per this long (clients report every reconnect attempt). */
export const CONNECTION_ERROR_LOG_EVERY_MS = 10_000;

interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): unknown;
  listenerCount(event: string): number;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A failure to reach Redis (what a reconnect loop repeats), as opposed to an error worth a line each time. */
export function isConnectionError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && CONNECTION_CODES.has(code)) || /Connection is closed|Stream isn't writeable/.test(err.message);
}

/**
 * Logs an ioredis client's or a BullMQ queue's / worker's errors. Without an 'error' listener both
 * print every failed reconnect attempt to stderr ("[ioredis] Unhandled error event"), outside the
 * structured log. Connection failures are logged at most once per CONNECTION_ERROR_LOG_EVERY_MS;
 * anything else (a lost job lock, a failed script) every time, at error level. When the emitter
 * has a listener of its own too (a processor logging its worker's errors), this one stays quiet.
 * Returns a function to call when the connection works again (an ioredis client's 'ready'), which logs
 * it; without one, two quiet intervals end an outage.
 */
export function logConnectionErrors(emitter: ErrorEmitter, logger: Logger, what: string): () => void {
  let down = false;
  let lastLogged = 0;
  let lastError = 0;
  emitter.on('error', (err: Error) => {
    if (emitter.listenerCount('error') > 1) return;
    // The message and code only: an ioredis error can carry the connection options (a URL may hold a
    // password) or a command's arguments.
    const fields = { err: { name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code } };
    if (!isConnectionError(err)) {
      logger.error(fields, `${what} error`);
      return;
    }
    const now = Date.now();
    // Quiet for two intervals: that outage is over (a BullMQ queue tells no one it reconnected), so
    // this is a new one, logged at once.
    if (now - lastError > 2 * CONNECTION_ERROR_LOG_EVERY_MS) {
      down = false;
      lastLogged = 0;
    }
    lastError = now;
    if (now - lastLogged < CONNECTION_ERROR_LOG_EVERY_MS) return;
    lastLogged = now;
    logger.warn(fields, down ? `${what} still unreachable` : `${what} unreachable; retrying`);
    down = true;
  });
  return () => {
    if (!down) return;
    down = false;
    lastLogged = 0;
    logger.log(`${what} reachable again`);
  };
}
