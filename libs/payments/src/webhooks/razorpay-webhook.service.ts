import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MetricsService, PartnerCredentials, ProblemException } from '@hub/core';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { verifyRazorpaySignature } from '../razorpay/razorpay-signature';
import { parseRazorpayEvent, RazorpayEvent } from './razorpay-event';
import { RazorpayEventEffects } from './razorpay-event-effects';

const EVENT_ID = /^[\x21-\x7e]{1,128}$/;
/** Secrets are re-read at most this often on the happy path; a failed check always re-reads once. */
const SECRET_CACHE_MS = 30_000;

export interface WebhookReceipt {
  eventId: string;
  /** `processed`: this delivery applied the event. `duplicate`: an earlier delivery already had. */
  status: 'processed' | 'duplicate';
  outcome: string | null;
}

/**
 * Verify, then store-and-apply in one short transaction. Doing the effect inline (instead of
 * store-then-queue as Medusa does) keeps Razorpay's retry as our retry: if anything fails nothing
 * is stored, we answer 5xx and Razorpay redelivers. The transaction touches one order row and its
 * reservations, so it finishes in milliseconds, well inside Razorpay's 5 s and our 1 s budget.
 * The unique key on the event id makes concurrent redeliveries wait for the first and then do
 * nothing, so each event takes effect exactly once.
 */
@Injectable()
export class RazorpayWebhookService {
  private readonly logger = new Logger(RazorpayWebhookService.name);
  private secrets: { values: string[]; at: number } | null = null;
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
    if (!rawBody || !(await this.verify(rawBody, signature))) {
      this.received.inc({ event: 'unknown', result: 'invalid-signature' });
      throw new ProblemException(400, 'invalid-signature', 'X-Razorpay-Signature is not the HMAC-SHA256 of this body under the webhook secret');
    }
    if (typeof eventIdHeader !== 'string' || !EVENT_ID.test(eventIdHeader)) {
      throw new ProblemException(400, 'validation-failed', 'x-razorpay-event-id: must be 1 to 128 visible ASCII characters', {
        extensions: { errors: [{ field: 'x-razorpay-event-id', message: 'must be 1 to 128 visible ASCII characters' }] },
      });
    }
    const parsed = parseRazorpayEvent(eventIdHeader, body);
    if ('error' in parsed) {
      throw new ProblemException(400, 'validation-failed', `body: ${parsed.error}`, { extensions: { errors: [{ field: 'body', message: parsed.error }] } });
    }
    const effect = this.effects.get();
    if (!effect) {
      // Nothing can apply it yet; refusing (instead of storing) lets Razorpay redeliver later.
      throw new ProblemException(503, 'service-unavailable', 'Payment events cannot be applied right now');
    }
    const receipt = await this.ds.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO razorpay_events (event_id, event, razorpay_order_id, razorpay_payment_id, amount, payload)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
        [parsed.id, parsed.event, parsed.razorpayOrderId, parsed.razorpayPaymentId, parsed.amount, parsed.payload],
      );
      if (!inserted.length) return { eventId: parsed.id, status: 'duplicate' as const, outcome: null };
      const outcome = await effect(manager, parsed);
      await manager.query(`UPDATE razorpay_events SET outcome = $2, processed_at = now() WHERE event_id = $1`, [parsed.id, outcome]);
      return { eventId: parsed.id, status: 'processed' as const, outcome };
    });
    this.received.inc({ event: parsed.event, result: receipt.status });
    if (receipt.status === 'processed') this.logger.log({ eventId: parsed.id, event: parsed.event, outcome: receipt.outcome }, 'razorpay event applied');
    return receipt;
  }

  /** Current or previous webhook secret; the secrets themselves never leave this method. */
  private async verify(rawBody: Buffer, signature: string | string[] | undefined): Promise<boolean> {
    const fresh = !this.secrets || Date.now() - this.secrets.at > SECRET_CACHE_MS;
    if (fresh) await this.loadSecrets();
    if (verifyRazorpaySignature(rawBody, signature, this.secrets!.values)) return true;
    if (fresh) return false;
    // The secret may have rotated since we cached it.
    await this.loadSecrets();
    return verifyRazorpaySignature(rawBody, signature, this.secrets!.values);
  }

  private async loadSecrets(): Promise<void> {
    const usable = await this.credentials.usable('razorpay');
    this.secrets = { values: usable.map((c) => c.fields.webhookSecret).filter(Boolean), at: Date.now() };
  }

  /** Test and operator helper: how an event id was handled, if it was. */
  async find(eventId: string): Promise<Pick<RazorpayEvent, 'id' | 'event'> & { outcome: string | null } | null> {
    const [row] = await this.ds.query(`SELECT event_id, event, outcome FROM razorpay_events WHERE event_id = $1`, [eventId]);
    return row ? { id: row.event_id, event: row.event, outcome: row.outcome } : null;
  }
}
