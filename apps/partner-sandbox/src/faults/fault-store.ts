import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';

/**
 * A fault injected into one partner. Common kinds (every partner honours them through
 * `applyCommonFaults`): `latency` (ms, jitterMs), `timeout` (never answers), `rate-limit`
 * (retryAfterSeconds), `server-error` (status). Partner-specific kinds (`reject-credentials`,
 * Razorpay's `duplicate-delivery`, ...) are read by that partner with `active()` / `take()`.
 */
export interface Fault {
  id: string;
  partner: string;
  kind: string;
  /** Only requests whose path contains this string are affected. */
  match?: string;
  /** How many requests it affects before it clears itself; absent: until DELETE. */
  count?: number;
  ms?: number;
  jitterMs?: number;
  retryAfterSeconds?: number;
  status?: number;
  [param: string]: unknown;
}

export class FaultStore {
  private faults: Fault[] = [];
  /** Per partner: aborted when its faults are cleared, releasing requests held by latency/timeout. */
  private holds = new Map<string, AbortController>();

  add(input: Omit<Fault, 'id'>): Fault {
    const fault = { ...input, id: randomUUID() } as Fault;
    this.faults.push(fault);
    return fault;
  }

  list(partner?: string): Fault[] {
    return this.faults.filter((f) => !partner || f.partner === partner);
  }

  clear(partner?: string): void {
    this.faults = partner ? this.faults.filter((f) => f.partner !== partner) : [];
    for (const [p, c] of this.holds) {
      if (!partner || p === partner || p === '*') {
        c.abort();
        this.holds.delete(p);
      }
    }
  }

  /** Signal a held request waits on, so clearing faults (or shutting down) never leaves it hanging. */
  holdSignal(partner: string): AbortSignal {
    let c = this.holds.get(partner);
    if (!c) {
      this.holds.set(partner, (c = new AbortController()));
      // Every request a latency or timeout fault holds listens on it (and stops when its wait ends):
      // dozens at once under a sync burst are expected, not the leak Node's default limit of 10 warns about.
      setMaxListeners(0, c.signal);
    }
    return c.signal;
  }

  /** The first matching fault without consuming it. */
  active(partner: string, kind: string, path = ''): Fault | undefined {
    return this.faults.find((f) => (f.partner === partner || f.partner === '*') && f.kind === kind && (!f.match || path.includes(f.match)));
  }

  /** The first matching fault, consuming one of its `count` uses. */
  take(partner: string, kind: string, path = ''): Fault | undefined {
    const f = this.active(partner, kind, path);
    if (f && f.count !== undefined) {
      f.count -= 1;
      if (f.count <= 0) this.faults = this.faults.filter((x) => x !== f);
    }
    return f;
  }
}
