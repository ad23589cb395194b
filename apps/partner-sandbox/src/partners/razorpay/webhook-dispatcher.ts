import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';

export interface RetryPolicy {
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  /** Delay before the 2nd attempt; doubles each time up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An answer slower than this counts as a failure, like Razorpay's 5 s limit. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 5000, timeoutMs: 5000 };

export interface WebhookEvent {
  eventId: string;
  event: string;
  orderId: string;
  paymentId: string;
  /** The exact bytes delivered (and signed) on every attempt and redelivery. */
  body: string;
}

export interface Delivery {
  eventId: string;
  event: string;
  orderId: string;
  paymentId: string;
  /** 0 for the original delivery, 1.. for duplicates (fault) and manual redeliveries. */
  copy: number;
  url: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  delivered: boolean;
  badSignature: boolean;
  firstAttemptAt: string | null;
  deliveredAt: string | null;
}

export interface DispatchOptions {
  url: string;
  secret: () => string;
  /** Asked before each attempt whether to sign with a wrong secret (the bad-signature fault). */
  badSignature: () => boolean;
}

/**
 * Delivers Razorpay webhooks like Razorpay does: POST of the JSON envelope with
 * `X-Razorpay-Signature` (hex HMAC-SHA256 of the raw body) and `x-razorpay-event-id`, retried with
 * exponential backoff on a non-2xx answer or none within the timeout.
 */
export class WebhookDispatcher {
  readonly deliveries: Delivery[] = [];
  retry: RetryPolicy = { ...DEFAULT_RETRY };
  private abort = new AbortController();
  private inFlight = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** Starts one delivery of `event` (a copy with the same id and bytes when copy > 0). Resolves after its first attempt. */
  deliver(event: WebhookEvent, copy: number, opts: DispatchOptions): Promise<void> {
    const d: Delivery = {
      eventId: event.eventId,
      event: event.event,
      orderId: event.orderId,
      paymentId: event.paymentId,
      copy,
      url: opts.url,
      attempts: 0,
      lastStatus: null,
      lastError: null,
      delivered: false,
      badSignature: false,
      firstAttemptAt: null,
      deliveredAt: null,
    };
    this.deliveries.push(d);
    let firstDone!: () => void;
    const first = new Promise<void>((r) => (firstDone = r));
    const run = this.run(d, event, opts, firstDone).finally(() => {
      firstDone();
      this.inFlight.delete(run);
    });
    this.inFlight.add(run);
    return first;
  }

  /** Resolves when every delivery has succeeded or given up (tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops all pending deliveries and retries. */
  cancelAll(): void {
    this.abort.abort();
    this.abort = new AbortController();
  }

  clear(): void {
    this.cancelAll();
    this.deliveries.length = 0;
    this.retry = { ...DEFAULT_RETRY };
  }

  private async run(d: Delivery, event: WebhookEvent, opts: DispatchOptions, firstDone: () => void): Promise<void> {
    const stop = this.abort.signal;
    const { maxAttempts, baseDelayMs, maxDelayMs, timeoutMs } = this.retry;
    for (let attempt = 1; attempt <= maxAttempts && !stop.aborted; attempt++) {
      if (attempt > 1 && !(await sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 2)), stop))) return;
      d.attempts = attempt;
      d.firstAttemptAt ??= new Date().toISOString();
      const bad = opts.badSignature();
      d.badSignature = bad;
      const secret = bad ? `wrong-${opts.secret()}` : opts.secret();
      try {
        const res = await fetch(opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Razorpay-Webhook/v1',
            'x-razorpay-event-id': event.eventId,
            'x-razorpay-signature': createHmac('sha256', secret).update(event.body).digest('hex'),
          },
          body: event.body,
          signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        d.lastStatus = res.status;
        d.lastError = res.ok ? null : `HTTP ${res.status}`;
        if (res.ok) {
          d.delivered = true;
          d.deliveredAt = new Date().toISOString();
          return;
        }
      } catch (err) {
        if (stop.aborted) return;
        d.lastStatus = null;
        d.lastError = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${(err as Error).message}`;
      } finally {
        firstDone();
      }
      this.log.debug({ eventId: d.eventId, attempt, lastError: d.lastError }, 'razorpay webhook delivery failed');
    }
    if (!d.delivered && !stop.aborted) this.log.warn({ eventId: d.eventId, event: d.event, attempts: d.attempts, lastError: d.lastError, url: d.url }, 'razorpay webhook delivery gave up');
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
