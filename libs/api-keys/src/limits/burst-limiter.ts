export interface Bucket {
  tokens: number;
  last: number;
  /** Swept from the map: holders must look up (or create) the live bucket. */
  dead: boolean;
}

export interface BurstDecision {
  ok: boolean;
  /** Whole requests left in this instance's bucket after this one. */
  remaining: number;
  /** Seconds until a request would be admitted (when refused). */
  retryAfter: number;
}

/**
 * Token bucket per key, in process: capacity and refill are the key's burst per second times
 * this instance's share. No I/O. A caller may pass a holder (the key's cached record) that keeps
 * the bucket between requests, so the usual request does not even look it up; a swept bucket is
 * marked dead so no holder keeps counting on a copy the map no longer has.
 */
export class BurstLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ok: BurstDecision = { ok: true, remaining: 0, retryAfter: 0 };

  /** The returned object is reused: read it before the next call. */
  take(keyId: string, perSecond: number, share: number, now: number, holder?: { bucket?: Bucket }): BurstDecision {
    // Refill at this instance's share of the rate, so N instances together sustain the key's rate;
    // the bucket holds at least one request so a share below 1/s still admits something.
    const rate = perSecond * share;
    const cap = Math.max(1, rate);
    let b = holder?.bucket;
    if (b === undefined || b.dead) {
      b = this.buckets.get(keyId);
      if (holder && b) holder.bucket = b;
    }
    if (!b) {
      b = { tokens: cap, last: now, dead: false };
      this.buckets.set(keyId, b);
      if (holder) holder.bucket = b;
    } else if (now > b.last) {
      b.tokens = Math.min(cap, b.tokens + ((now - b.last) / 1000) * rate);
      b.last = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.ok.remaining = Math.floor(b.tokens);
      return this.ok;
    }
    return { ok: false, remaining: 0, retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / rate)) };
  }

  /** Drops buckets that have been full for a while (memory stays bounded by active keys). */
  sweep(now: number, idleMs = 10_000): void {
    for (const [k, b] of this.buckets) {
      if (now - b.last > idleMs) {
        b.dead = true;
        this.buckets.delete(k);
      }
    }
  }
}

/**
 * Circuit breaker for a key that keeps hammering past its burst limit (a runaway loop or a
 * stolen key): after `threshold` burst refusals within `windowMs`, every request is refused
 * for `openMs` with `abnormal-usage-detected`.
 */
export class AbnormalUsageBreaker {
  private readonly state = new Map<string, { windowStart: number; refusals: number; openUntil: number }>();

  constructor(
    private readonly windowMs = 10_000,
    private readonly openMs = 60_000,
  ) {}

  /** Seconds the breaker stays open for this key, or 0. */
  openFor(keyId: string, now: number): number {
    // Every admitted request asks; almost always no key has been refused at all.
    if (this.state.size === 0) return 0;
    const s = this.state.get(keyId);
    return s && s.openUntil > now ? Math.ceil((s.openUntil - now) / 1000) : 0;
  }

  /** Records a burst refusal; true when this refusal tripped the breaker. */
  refused(keyId: string, burst: number, now: number): boolean {
    let s = this.state.get(keyId);
    if (!s || now - s.windowStart > this.windowMs) {
      s = { windowStart: now, refusals: 0, openUntil: s?.openUntil ?? 0 };
      this.state.set(keyId, s);
    }
    s.refusals++;
    if (s.openUntil <= now && s.refusals >= Math.max(100, burst * 20)) {
      s.openUntil = now + this.openMs;
      s.refusals = 0;
      return true;
    }
    return false;
  }

  sweep(now: number): void {
    for (const [k, s] of this.state) if (s.openUntil <= now && now - s.windowStart > this.windowMs) this.state.delete(k);
  }
}

/**
 * Brute-force brake: failed authentications per client address per minute (fixed window). Only
 * failures that could be guesses count (a well-formed key with an unknown id or a wrong secret).
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { minute: number; count: number }>();

  constructor(private readonly perMinute: number) {}

  /** Seconds until this address may try again, or 0. */
  blockedFor(ip: string, now: number): number {
    if (this.windows.size === 0) return 0;
    const w = this.windows.get(ip);
    const minute = Math.floor(now / 60_000);
    if (!w || w.minute !== minute || w.count < this.perMinute) return 0;
    return Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000));
  }

  failed(ip: string, now: number): void {
    const minute = Math.floor(now / 60_000);
    const w = this.windows.get(ip);
    if (!w || w.minute !== minute) this.windows.set(ip, { minute, count: 1 });
    else w.count++;
  }

  sweep(now: number): void {
    const minute = Math.floor(now / 60_000);
    for (const [k, w] of this.windows) if (w.minute !== minute) this.windows.delete(k);
  }
}
