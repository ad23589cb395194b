import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { MetricsService } from '@hub/core';
import type { Counter } from 'prom-client';
import { ALERT_SEVERITIES, ALERTS_DELIVER_JOB, ALERTS_QUEUE, AlertKind, AlertSeverity } from './constants';
import { AlertsConfig } from './alerts.config';

export interface AlertInput {
  kind: AlertKind;
  /** What the alert is about: a partner (`amazon`), a channel, a keyId. */
  subject: string;
  severity: AlertSeverity;
  message: string;
  details?: Record<string, unknown>;
}

export interface Alert {
  id: string;
  kind: string;
  subject: string;
  severity: AlertSeverity;
  status: 'open' | 'resolved';
  message: string;
  details: Record<string, unknown>;
  openedAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
}

/**
 * A condition source: returns every alert of `kinds` that should be open right now, or null
 * when it cannot tell in this process (then nothing of those kinds is resolved).
 */
export interface AlertEvaluator {
  kinds: AlertKind[];
  evaluate(): Promise<AlertInput[] | null>;
}

/**
 * Alert storage and fan-out. Libs either raise/resolve on events (a rejected credential) or
 * register an evaluator that the repeatable job reconciles: whatever it no longer reports
 * resolves by itself. Every new alert, and every escalation of an open one, owes one signed
 * webhook: recorded in the row, queued at once, and re-queued by the worker if that failed.
 */
@Injectable()
export class AlertsService {
  private readonly logger = new Logger(AlertsService.name);
  private readonly evaluators: AlertEvaluator[] = [];
  private readonly opened: Counter<'kind' | 'severity'>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @InjectQueue(ALERTS_QUEUE) private readonly queue: Queue,
    private readonly cfg: AlertsConfig,
    metrics: MetricsService,
  ) {
    this.opened = metrics.counter('alerts_opened_total', 'Alerts opened (not refreshed) by kind and severity', ['kind', 'severity']);
  }

  registerEvaluator(e: AlertEvaluator): void {
    this.evaluators.push(e);
  }

  /**
   * Opens the alert, or refreshes the open one; `notified` is true when this call owes a webhook
   * (a new alert or an escalation). The webhook owed is recorded in the alert row by the same
   * statement, then queued; if queuing fails the redelivery job sends it later.
   */
  async raise(a: AlertInput): Promise<{ alert: Alert; notified: boolean }> {
    const webhook = this.webhookEnabled();
    const details = JSON.stringify(a.details ?? {});
    const escalation = a.details?.escalation === undefined ? null : JSON.stringify(a.details.escalation);
    let row: Record<string, unknown> | undefined;
    let event: 'alert.opened' | 'alert.escalated' | null = null;
    for (let tries = 0; tries < 3 && !row; tries++) {
      // Refresh first. The open row is locked before it is compared, so the comparison sees its
      // latest version: a racer that lost the insert compares against the winner's row and does
      // not mistake the new alert for an escalation. A tighter expiry threshold (30 -> 7 -> 1
      // days) or a worse severity is news worth sending.
      const res: [Record<string, unknown>[], number] = await this.ds.query(
        `UPDATE alerts a
            SET last_seen_at = now(), severity = $3, message = $4, details = $5::jsonb,
                escalations = a.escalations + CASE WHEN prior.esc THEN 1 ELSE 0 END,
                webhook_event_id = CASE WHEN prior.esc AND $7::boolean THEN 'alert-' || a.id || '-esc-' || (a.escalations + 1) ELSE a.webhook_event_id END,
                webhook_type = CASE WHEN prior.esc AND $7::boolean THEN 'alert.escalated' ELSE a.webhook_type END,
                webhook_event_at = CASE WHEN prior.esc AND $7::boolean THEN now() ELSE a.webhook_event_at END,
                webhook_delivered_at = CASE WHEN prior.esc AND $7::boolean THEN NULL ELSE a.webhook_delivered_at END
           FROM (SELECT id,
                        array_position($8::text[], $3::text) > array_position($8::text[], severity)
                        OR ($6::jsonb IS NOT NULL AND details -> 'escalation' IS DISTINCT FROM $6::jsonb) AS esc
                   FROM alerts WHERE kind = $1 AND subject = $2 AND resolved_at IS NULL
                    FOR UPDATE) prior
          WHERE a.id = prior.id
          RETURNING a.*, prior.esc`,
        [a.kind, a.subject, a.severity, a.message, details, escalation, webhook, ALERT_SEVERITIES],
      );
      if (res[0][0]) {
        row = res[0][0];
        event = row.esc === true ? 'alert.escalated' : null;
        break;
      }
      const inserted: Record<string, unknown>[] = await this.ds.query(
        `WITH n AS (SELECT nextval(pg_get_serial_sequence('alerts', 'id')) AS id)
         INSERT INTO alerts (id, kind, subject, severity, message, details, webhook_event_id, webhook_type, webhook_event_at)
         SELECT n.id, $1::text, $2::text, $3::text, $4::text, $5::jsonb,
                CASE WHEN $6::boolean THEN 'alert-' || n.id || '-opened' END,
                CASE WHEN $6::boolean THEN 'alert.opened' END,
                CASE WHEN $6::boolean THEN now() END
           FROM n
         ON CONFLICT (kind, subject) WHERE resolved_at IS NULL DO NOTHING
         RETURNING *`,
        [a.kind, a.subject, a.severity, a.message, details, webhook],
      );
      if (inserted[0]) {
        row = inserted[0];
        event = 'alert.opened';
      }
      // Otherwise another instance opened it in between: refresh that one.
    }
    if (!row) throw new Error(`alert ${a.kind}/${a.subject}: could neither open nor refresh the open alert`);
    const alert = toAlert(row);
    if (event === 'alert.opened') this.opened.inc({ kind: a.kind, severity: a.severity });
    if (event) {
      this.logger.warn({ kind: a.kind, subject: a.subject, severity: a.severity }, event === 'alert.opened' ? 'alert opened' : 'alert escalated');
      if (webhook) await this.enqueueDelivery(row).catch((err) => this.logger.warn({ err, alertId: alert.id }, 'alert webhook not queued now; the redelivery job will send it'));
    }
    return { alert, notified: event !== null };
  }

  async resolve(kind: AlertKind, subject: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `UPDATE alerts SET resolved_at = now() WHERE kind = $1 AND subject = $2 AND resolved_at IS NULL RETURNING id`,
      [kind, subject],
    );
    const resolved = (rows as unknown[][])[0]?.length ?? 0;
    if (resolved) this.logger.log({ kind, subject }, 'alert resolved');
    return resolved > 0;
  }

  /** Makes the open alerts of `kinds` exactly `active`: raises what is new, resolves what cleared. */
  async reconcile(kinds: AlertKind[], active: AlertInput[]): Promise<void> {
    for (const a of active) await this.raise(a);
    const keep = new Set(active.map((a) => `${a.kind}\u0000${a.subject}`));
    const open: { kind: AlertKind; subject: string }[] = await this.ds.query(
      `SELECT kind, subject FROM alerts WHERE resolved_at IS NULL AND kind = ANY($1)`,
      [kinds],
    );
    for (const o of open) if (!keep.has(`${o.kind}\u0000${o.subject}`)) await this.resolve(o.kind, o.subject);
  }

  /** Runs every registered evaluator; one failing source does not stop the others. */
  async evaluateAll(): Promise<void> {
    for (const e of this.evaluators) {
      try {
        const active = await e.evaluate();
        if (active) await this.reconcile(e.kinds, active);
      } catch (err) {
        this.logger.error({ err, kinds: e.kinds }, 'alert evaluation failed');
      }
    }
  }

  async list(q: { status?: 'open' | 'resolved'; kind?: string; limit?: number }): Promise<Alert[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status === 'open') where.push('resolved_at IS NULL');
    if (q.status === 'resolved') where.push('resolved_at IS NOT NULL');
    if (q.kind) {
      params.push(q.kind);
      where.push(`kind = $${params.length}`);
    }
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 500);
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT * FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY opened_at DESC, id DESC LIMIT ${limit}`,
      params,
    );
    return rows.map(toAlert);
  }

  async get(id: string): Promise<Alert | null> {
    const rows: Record<string, unknown>[] = await this.ds.query(`SELECT * FROM alerts WHERE id = $1`, [id]);
    return rows[0] ? toAlert(rows[0]) : null;
  }

  /** Acknowledging keeps the alert open (the condition still holds) but records who saw it. */
  async ack(id: string, by: string | null): Promise<Alert | null> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, now()), acknowledged_by = COALESCE(acknowledged_by, $2)
        WHERE id = $1 RETURNING *`,
      [id, by],
    );
    const r = (rows as unknown as Record<string, unknown>[][])[0]?.[0];
    return r ? toAlert(r) : null;
  }

  /**
   * Worker job: queues every webhook recorded but not delivered whose event is older than the
   * redelivery interval (the raising process normally queued it at once). The job id is the event
   * id, so an event already queued, retrying, or kept after it finished is not queued twice.
   */
  async redeliverPending(): Promise<number> {
    if (!this.webhookEnabled()) return 0;
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT * FROM alerts
        WHERE webhook_event_id IS NOT NULL AND webhook_delivered_at IS NULL
          AND webhook_event_at < now() - make_interval(secs => $1::double precision / 1000)
          AND webhook_event_at > now() - interval '1 day'
        ORDER BY webhook_event_at LIMIT 500`,
      [this.cfg.ALERTS_REDELIVER_EVERY_MS],
    );
    for (const r of rows) await this.enqueueDelivery(r);
    if (rows.length) this.logger.warn({ count: rows.length }, 'queued alert webhooks that were recorded but not delivered');
    return rows.length;
  }

  /** What a delivery job needs: the alert now, and which of its events is owed and whether it went out. */
  async deliveryState(id: string): Promise<{ alert: Alert; eventId: string | null; type: string | null; deliveredAt: string | null } | null> {
    const rows: Record<string, unknown>[] = await this.ds.query(`SELECT * FROM alerts WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) return null;
    return { alert: toAlert(r), eventId: (r.webhook_event_id as string) ?? null, type: (r.webhook_type as string) ?? null, deliveredAt: iso(r.webhook_delivered_at) };
  }

  /** Marks an event delivered (a newer escalation recorded meanwhile stays owed). */
  async markDelivered(id: string, eventId: string): Promise<void> {
    await this.ds.query(`UPDATE alerts SET webhook_delivered_at = now() WHERE id = $1 AND webhook_event_id = $2 AND webhook_delivered_at IS NULL`, [id, eventId]);
  }

  private webhookEnabled(): boolean {
    return !!(this.cfg.ALERT_WEBHOOK_URL && this.cfg.ALERT_WEBHOOK_SECRET);
  }

  private async enqueueDelivery(row: Record<string, unknown>): Promise<void> {
    const eventId = row.webhook_event_id as string;
    const data: DeliverJobData = { alertId: String(row.id), eventId, type: row.webhook_type as string };
    await this.queue.add(ALERTS_DELIVER_JOB, data, {
      // The job id dedupes a double enqueue of the same event; the webhook-id lets receivers dedupe retries.
      jobId: eventId,
      attempts: this.cfg.ALERT_WEBHOOK_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
    });
  }
}

/** An alert webhook job: which event of which alert (the body is built from the row when sent). */
export interface DeliverJobData {
  alertId: string;
  eventId: string;
  type: string;
}

function iso(v: unknown): string | null {
  return v ? new Date(v as string).toISOString() : null;
}

export function toAlert(r: Record<string, unknown>): Alert {
  return {
    id: String(r.id),
    kind: r.kind as string,
    subject: r.subject as string,
    severity: r.severity as AlertSeverity,
    status: r.resolved_at ? 'resolved' : 'open',
    message: r.message as string,
    details: (r.details as Record<string, unknown>) ?? {},
    openedAt: iso(r.opened_at)!,
    lastSeenAt: iso(r.last_seen_at)!,
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: (r.acknowledged_by as string) ?? null,
    resolvedAt: iso(r.resolved_at),
  };
}
