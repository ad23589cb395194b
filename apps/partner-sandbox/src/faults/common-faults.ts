import type { FastifyReply, FastifyRequest } from 'fastify';
import { FaultStore } from './fault-store';

/** How a partner writes its own error bodies (each partner's wire format differs). */
export interface FaultRenderers {
  rateLimited(reply: FastifyReply, retryAfterSeconds: number): void;
  serverError(reply: FastifyReply, status: number): void;
}

/** Waits `ms`, or less when `signal` aborts (faults cleared, sandbox closing). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * Applies latency, timeout, rate-limit and server-error faults to one partner request.
 * Returns true when the fault already answered (or dropped) the request.
 */
export async function applyCommonFaults(
  faults: FaultStore,
  partner: string,
  req: FastifyRequest,
  reply: FastifyReply,
  render: FaultRenderers,
): Promise<boolean> {
  const path = req.url;
  const latency = faults.take(partner, 'latency', path);
  if (latency) {
    const jitter = latency.jitterMs ? (Math.random() * 2 - 1) * latency.jitterMs : 0;
    await sleep(Math.max(0, (latency.ms ?? 100) + jitter), faults.holdSignal(partner));
  }
  const timeout = faults.take(partner, 'timeout', path);
  if (timeout) {
    // Hold the request open like a hung upstream, then drop the connection without answering.
    await sleep(timeout.ms ?? 30_000, faults.holdSignal(partner));
    req.raw.socket.destroy();
    return true;
  }
  const limited = faults.take(partner, 'rate-limit', path);
  if (limited) {
    render.rateLimited(reply, limited.retryAfterSeconds ?? 1);
    return true;
  }
  const failed = faults.take(partner, 'server-error', path);
  if (failed) {
    render.serverError(reply, failed.status ?? 500);
    return true;
  }
  return false;
}
