import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MetricsService, PartnerCredentials, ProblemException, storableText } from '@hub/core';
import type { Counter } from 'prom-client';
import sjson from 'secure-json-parse';
import { DataSource } from 'typeorm';
import { verifyRazorpaySignature } from '../razorpay/razorpay-signature';
import { MALFORMED_OUTCOME, parseRazorpayEvent, RazorpayEvent, UNIDENTIFIED_EVENT_PREFIX } from './razorpay-event';
import { RazorpayEventEffects } from './razorpay-event-effects';

const EVENT_ID = /^[\x21-\x7e]{1,128}$/;
/** Seconds Razorpay is asked to wait when the webhook secret cannot be read (it retries anyway). */
const CREDENTIAL_RETRY_AFTER_S = 30;
/** Most events applied in one transaction (bounds lock time and the size of one INSERT). */
const MAX_BATCH = 64;
/** Transactions in flight at once per process; each order's events always use the same lane. */
const LANES = 2;

interface Pending {
  event: RazorpayEvent;
  resolve: (r: WebhookReceipt) => void;
  reject: (e: unknown) => void;
}

/** Same Razorpay order (and so same event id) -> same lane: lanes never wait on each other's rows. */
function laneOf(event: RazorpayEvent): number {
  const key = event.razorpayOrderId ?? event.id;
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % LANES;
}

/**
 * A correctly signed delivery that is no usable event (not JSON, not Razorpay's envelope, no usable
 * event id). Razorpay redelivers anything but a 2xx for a day and then disables the webhook, so it
 * is stored for an operator and acknowledged, never applied.
 */
interface MalformedDelivery {
  /** Why it cannot be applied; fixed wording, never a quote of the body. */
  malformed: string;
  id: string;
  /** The body's `event` when it is a storable string, else empty (the column is NOT NULL). */
  event: string;
  razorpayOrderId: string | null;
  razorpayPaymentId: string | null;
  amount: number | null;
  rawBody: string;
  /** Size of the body as received, for the log line (which never carries the body itself). */
  bytes: number;
  /** The header as sent, when it was not usable as the id (shortened for the log). */
  givenEventId?: string;
}

const NOT_JSON = Symbol('not JSON');

/**
 * Parsed here only when the HTTP layer handed over the bytes unparsed: a second parse of every
 * delivery would cost the route throughput it does not have to spare (docs: benchmark).
 */
function bodyValue(rawText: string, body: unknown): unknown {
  if (body !== undefined) return body;
  try {
    return sjson.parse(rawText, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return NOT_JSON;
  }
}

/** The event to apply, or why this signed delivery cannot be one. */
function readDelivery(eventIdHeader: string | string[] | undefined, rawBody: Buffer, body: unknown): RazorpayEvent | MalformedDelivery {
  const id = typeof eventIdHeader === 'string' && EVENT_ID.test(eventIdHeader) ? eventIdHeader : null;
  const rawText = rawBody.toString('utf8');
  const value = bodyValue(rawText, body);
  const parsed = value === NOT_JSON ? { error: 'body is not JSON' } : parseRazorpayEvent(id ?? '', value, rawText);
  if (id !== null && !('error' in parsed)) return parsed;
  const named = value !== null && typeof value === 'object' ? (value as { event?: unknown }).event : undefined;
  const event = 'error' in parsed ? (typeof named === 'string' && storableText(named) ? named : '') : parsed.event;
  return {
    malformed: 'error' in parsed ? parsed.error : 'x-razorpay-event-id must be 1 to 128 visible ASCII characters',
    id: id ?? `${UNIDENTIFIED_EVENT_PREFIX}${createHash('sha256').update(rawBody).digest('hex')}`,
    event,
    razorpayOrderId: 'error' in parsed ? null : parsed.razorpayOrderId,
    razorpayPaymentId: 'error' in parsed ? null : parsed.razorpayPaymentId,
    amount: 'error' in parsed ? null : parsed.amount,
    // A raw NUL byte (only possible in a body that is not JSON) is the one thing text cannot hold.
    rawBody: rawText.replaceAll('\u0000', '\ufffd'),
    bytes: rawBody.length,
    ...(id === null && typeof eventIdHeader === 'string' ? { givenEventId: eventIdHeader.slice(0, 140) } : {}),
  };
}

export interface WebhookReceipt {
  eventId: string;
  /** `processed`: this delivery applied the event. `duplicate`: an earlier delivery already had. */
  status: 'processed' | 'duplicate';
  outcome: string | null;
}

/**
 * Verify, then store-and-apply in one short transaction before answering. Doing the effect inline
 * (instead of store-then-queue as Medusa does) keeps Razorpay's retry as our retry: if anything
 * fails nothing is stored, we answer 5xx and Razorpay redelivers; a 200 means the effect is
 * committed. The transaction touches a few order rows and their reservations, so it finishes in
 * milliseconds, well inside Razorpay's 5 s and our 1 s budget. The primary key on the event id
 * makes concurrent redeliveries (on any instance) wait for the first and then do nothing, so each
 * event takes effect exactly once. Only a bad signature is refused: whatever else Razorpay signed
 * is stored and acknowledged, since any other answer only makes it redeliver the same body.
 */
@Injectable()
export class RazorpayWebhookService {
  private readonly logger = new Logger(RazorpayWebhookService.name);
  private readonly lanes = Array.from({ length: LANES }, () => ({ pending: [] as Pending[], flushing: false }));
  private readonly received: Counter<'event' | 'result'>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly credentials: PartnerCredentials,
    private readonly effects: RazorpayEventEffects,
    metrics: MetricsService,
  ) {
    this.received = metrics.counter('razorpay_webhooks_total', 'Razorpay webhook deliveries by event and result', ['event', 'result']);
  }

  async receive(rawBody: Buffer | undefined, body: unknown, signature: string | string[] | undefined, eventIdHeader: string | string[] | undefined): Promise<WebhookReceipt> {
    // Checked before anything reads the body or the event id: an unsigned body gets this one
    // answer whatever it holds, while a signed one is Razorpay's, which only a 2xx stops
    // redelivering. The secrets are asked for per delivery (the vault caches and invalidates on
    // rotation), never kept here: a retired secret stops verifying as soon as the vault knows.
    if (!rawBody || !verifyRazorpaySignature(rawBody, signature, await this.webhookSecrets())) {
      this.received.inc({ event: 'unknown', result: 'invalid-signature' });
      throw new ProblemException(400, 'invalid-signature', 'X-Razorpay-Signature is not the HMAC-SHA256 of this body under the webhook secret');
    }
    const parsed = readDelivery(eventIdHeader, rawBody, body);
    if ('malformed' in parsed) return this.storeMalformed(parsed);
    if (!this.effects.get()) {
      // Nothing can apply it yet; refusing (instead of storing) lets Razorpay redeliver later.
      throw new ProblemException(503, 'service-unavailable', 'Payment events cannot be applied right now');
    }
    const receipt = await new Promise<WebhookReceipt>((resolve, reject) => {
      const lane = this.lanes[laneOf(parsed)];
      lane.pending.push({ event: parsed, resolve, reject });
      this.kick(lane);
    });
    this.received.inc({ event: parsed.event, result: receipt.status });
    if (receipt.status === 'processed') this.logger.log({ eventId: parsed.id, event: parsed.event, outcome: receipt.outcome }, 'razorpay event applied');
    return receipt;
  }

  /**
   * Stored without the lanes or a transaction: it has no effect to order or to commit with. The
   * `ON CONFLICT` keeps an id to one row, also against a lane storing a real event under it.
   */
  private async storeMalformed(m: MalformedDelivery): Promise<WebhookReceipt> {
    const inserted: unknown[] = await this.ds.query(
      `INSERT INTO razorpay_events (event_id, event, razorpay_order_id, razorpay_payment_id, amount, raw_body, outcome, processed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now()) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [m.id, m.event, m.razorpayOrderId, m.razorpayPaymentId, m.amount, m.rawBody, MALFORMED_OUTCOME],
    );
    if (!inserted.length) {
      this.received.inc({ event: 'unknown', result: 'duplicate' });
      return { eventId: m.id, status: 'duplicate', outcome: null };
    }
    this.received.inc({ event: 'unknown', result: MALFORMED_OUTCOME });
    // The body may carry customer details: its size and the fixed reason only, never its text.
    this.logger.warn(
      { eventId: m.id, givenEventId: m.givenEventId, reason: m.malformed, event: m.event.slice(0, 64) || undefined, bytes: m.bytes },
      'razorpay webhook is not a usable event; stored as malformed and acknowledged',
    );
    return { eventId: m.id, status: 'processed', outcome: MALFORMED_OUTCOME };
  }

  /**
   * Captures the hub found by asking Razorpay (`reconciledCaptureEvent`), applied exactly as a
   * delivery of those events would be: the same effect, in one transaction with their event rows,
   * so whichever of this and the real webhook comes second finds the order paid (`already-paid`).
   * Not through the lanes: those order one process's webhook deliveries, and the order row lock
   * taken by the effect is what orders this against a webhook on any instance. A batch that fails
   * (a concurrent reconciliation of the same payment hit the event's primary key) is retried one
   * event at a time, where the retry finds that event stored and reports it `duplicate`.
   */
  async applyReconciled(events: RazorpayEvent[]): Promise<WebhookReceipt[]> {
    if (!this.effects.get()) throw new Error('No Razorpay event effect is registered in this process');
    try {
      return await this.applyBatch(events);
    } catch {
      return (await this.applyOneAtATime(events)).map((r) => {
        if (r.status === 'rejected') throw r.reason;
        return r.value;
      });
    }
  }

  /**
   * The retry of a batch that failed: each event in a transaction of its own, in order, so one
   * failure cannot take the others down with it. One settled result per event.
   */
  private async applyOneAtATime(events: RazorpayEvent[]): Promise<PromiseSettledResult<WebhookReceipt>[]> {
    const out: PromiseSettledResult<WebhookReceipt>[] = [];
    for (const e of events) {
      try {
        out.push({ status: 'fulfilled', value: (await this.applyBatch([e]))[0] });
      } catch (reason) {
        out.push({ status: 'rejected', reason });
      }
    }
    return out;
  }

  /**
   * Group commit: deliveries that arrive while a lane's transaction is in flight are applied
   * together in its next one (one commit for many events). Nothing waits on a timer, so a lone
   * event goes straight through. Lanes split the work by Razorpay order, so all events of one order
   * are applied in arrival order by one lane and lanes never contend for the same order or event
   * rows. If a batch fails (a deadlock on stock rows with another lane or instance, one bad
   * effect), each of its events is retried in a transaction of its own, so one failure cannot take
   * the others down with it.
   */
  private kick(lane: { pending: Pending[]; flushing: boolean }): void {
    if (lane.flushing) return;
    lane.flushing = true;
    setImmediate(async () => {
      try {
        while (lane.pending.length) {
          const batch = lane.pending.splice(0, MAX_BATCH);
          try {
            const results = await this.applyBatch(batch.map((p) => p.event));
            batch.forEach((p, i) => p.resolve(results[i]));
          } catch {
            const results = await this.applyOneAtATime(batch.map((p) => p.event));
            batch.forEach((p, i) => {
              const r = results[i];
              if (r.status === 'fulfilled') p.resolve(r.value);
              else p.reject(r.reason);
            });
          }
        }
      } finally {
        lane.flushing = false;
      }
    });
  }

  /**
   * Applies the events not seen before and stores them with their outcomes, in one transaction.
   * The plain INSERT (no ON CONFLICT) is the exactly-once guard: a delivery of the same id racing
   * on another instance blocks on the primary key and then fails, rolling back its effects too, and
   * its retry finds the id already stored.
   */
  private async applyBatch(events: RazorpayEvent[]): Promise<WebhookReceipt[]> {
    const effect = this.effects.get()!;
    const planner = this.effects.getPlanner();
    if (planner) {
      // Most deliveries change nothing (payment.authorized, the second of captured/order.paid,
      // redeliveries): those need one read and one autocommit INSERT, no transaction.
      const unique = [...new Map(events.map((e) => [e.id, e])).values()];
      const planned = await planner(unique);
      if (planned) {
        const inserted: { event_id: string }[] = await this.ds.query(
          `INSERT INTO razorpay_events (event_id, event, razorpay_order_id, razorpay_payment_id, amount, raw_body, outcome, processed_at)
           SELECT *, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]) ORDER BY 1
           ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
          [
            unique.map((e) => e.id), unique.map((e) => e.event), unique.map((e) => e.razorpayOrderId), unique.map((e) => e.razorpayPaymentId),
            unique.map((e) => e.amount), unique.map((e) => e.rawBody), planned,
          ],
        );
        const outcome = new Map(unique.map((e, i) => [e.id, planned[i]]));
        const fresh = new Set(inserted.map((r) => r.event_id));
        return events.map((e) => {
          if (fresh.delete(e.id)) return { eventId: e.id, status: 'processed' as const, outcome: outcome.get(e.id)! };
          return { eventId: e.id, status: 'duplicate' as const, outcome: null };
        });
      }
    }
    const applied: { events: RazorpayEvent[]; outcomes: string[] } = { events: [], outcomes: [] };
    const receipts = await this.ds.transaction(async (manager) => {
      const first = new Map<string, RazorpayEvent>();
      for (const e of events) if (!first.has(e.id)) first.set(e.id, e);
      const seen: { event_id: string }[] = await manager.query(`SELECT event_id FROM razorpay_events WHERE event_id = ANY($1)`, [[...first.keys()]]);
      for (const r of seen) first.delete(r.event_id);
      const toApply = [...first.values()];
      const outcomes = new Map<string, string>();
      if (toApply.length) {
        const results = await effect(manager, toApply);
        toApply.forEach((e, i) => outcomes.set(e.id, results[i]));
        applied.events = toApply;
        applied.outcomes = results;
        await manager.query(
          `INSERT INTO razorpay_events (event_id, event, razorpay_order_id, razorpay_payment_id, amount, raw_body, outcome, processed_at)
           SELECT *, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]) ORDER BY 1`,
          [
            toApply.map((e) => e.id), toApply.map((e) => e.event), toApply.map((e) => e.razorpayOrderId), toApply.map((e) => e.razorpayPaymentId),
            toApply.map((e) => e.amount), toApply.map((e) => e.rawBody), results,
          ],
        );
      }
      // Within a batch only the first delivery of an id is "processed"; its repeats are duplicates.
      const claimed = new Set<string>();
      return events.map((e) => {
        if (outcomes.has(e.id) && !claimed.has(e.id)) {
          claimed.add(e.id);
          return { eventId: e.id, status: 'processed' as const, outcome: outcomes.get(e.id)! };
        }
        return { eventId: e.id, status: 'duplicate' as const, outcome: null };
      });
    });
    // Committed: only now may the effect's owner treat the outcomes as durable facts.
    if (applied.events.length) this.effects.getCommitted()?.(applied.events, applied.outcomes);
    return receipts;
  }

  /**
   * Current and previous webhook secrets, from PartnerCredentials on every call. No Razorpay
   * credential (or one that no longer decrypts) means we cannot tell Razorpay from a forger:
   * 503, so Razorpay redelivers once an operator has fixed the vault, and nothing is stored.
   */
  private async webhookSecrets(): Promise<string[]> {
    try {
      return (await this.credentials.usable('razorpay')).map((c) => c.fields.webhookSecret).filter(Boolean);
    } catch (err) {
      this.received.inc({ event: 'unknown', result: 'credential-unavailable' });
      this.logger.error({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'razorpay webhook secret unavailable; answering 503');
      throw new ProblemException(503, 'payment-provider-unavailable', 'Razorpay webhooks cannot be verified right now; redeliver later', {
        headers: { 'Retry-After': String(CREDENTIAL_RETRY_AFTER_S) },
      });
    }
  }

  /** Test and operator helper: how an event id was handled, if it was. */
  async find(eventId: string): Promise<Pick<RazorpayEvent, 'id' | 'event'> & { outcome: string | null } | null> {
    const [row] = await this.ds.query(`SELECT event_id, event, outcome FROM razorpay_events WHERE event_id = $1`, [eventId]);
    return row ? { id: row.event_id, event: row.event, outcome: row.outcome } : null;
  }
}
