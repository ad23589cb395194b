/**
 * Outbound token bucket (per process): `acquire()` resolves when a request may be sent.
 * Waiters are served in order. `blockFor()` holds every request back until a partner's
 * Retry-After has passed, so one 429 does not provoke a burst of further 429s.
 *
 * The partner runs the same bucket, but counts from when requests *arrive*. The first request
 * after an idle spell is the slowest to arrive (connection set-up), so the partner's refill
 * starts later than ours and a schedule that is exact here would be a little early there.
 * `startMarginMs` shifts our refill by that much whenever a full bucket starts draining.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private blockedUntil = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly startMarginMs = 0,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  acquire(): Promise<void> {
    const turn = this.chain.then(() => this.waitForToken());
    // A failed wait must not poison the queue for later callers.
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  blockFor(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms);
  }

  /** When the next request may go out at the earliest (for tests and metrics). */
  get blockedUntilMs(): number {
    return this.blockedUntil;
  }

  private refill(): void {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
      this.last = t;
    }
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const t = this.now();
      if (t < this.blockedUntil) {
        await this.sleep(this.blockedUntil - t);
        continue;
      }
      this.refill();
      if (this.tokens >= 1) {
        if (this.tokens >= this.burst && this.startMarginMs) this.last = t + this.startMarginMs;
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    }
  }
}
