import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import { MetricsService } from '@hub/core';
import type { Counter } from 'prom-client';
import { ALERTS_DELIVER_JOB, ALERTS_QUEUE, AlertKind, AlertSeverity } from './constants';
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

const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * Alert storage and fan-out. Libs either raise/resolve on events (a rejected credential) or
 * register an evaluator that the repeatable job reconciles: whatever it no longer reports
 * resolves by itself. Every new alert, and every escalation of an open one, is queued for the
 * signed webhook.
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

  /** Opens the alert, or refreshes the open one; true when a notification went out. */
  async raise(a: AlertInput): Promise<{ alert: Alert; notified: boolean }> {
    const details = a.details ?? {};
    const { row, event } = await this.ds.transaction(async (m) => {
      // The open row is read under a row lock, so every instance compares against the latest
      // state: a racer that lost the insert refreshes the winner's row and sees its details.
      for (let tries = 0; tries < 3; tries++) {
        const [prior]: Record<string, unknown>[] = await m.query(`SELECT * FROM alerts WHERE kind = $1 AND subject = $2 AND resolved_at IS NULL FOR UPDATE`, [a.kind, a.subject]);
        if (!prior) {
          const inserted: Record<string, unknown>[] = await m.query(
            `INSERT INTO alerts (kind, subject, severity, message, details) VALUES ($1, $2, $3, $4, $5::jsonb)
             ON CONFLICT (kind, subject) WHERE resolved_at IS NULL DO NOTHING
             RETURNING *`,
            [a.kind, a.subject, a.severity, a.message, JSON.stringify(details)],
          );
          if (inserted[0]) return { row: inserted[0], event: 'alert.opened' as const };
          continue; // another instance opened it first: refresh that one
        }
        // A tighter expiry threshold (30 -> 7 -> 1 days) or a worse severity is news worth sending.
        const priorDetails = (prior.details as Record<string, unknown> | null) ?? {};
        const escalated =
          SEVERITY_RANK[a.severity] > SEVERITY_RANK[prior.severity as AlertSeverity] ||
          (details.escalation !== undefined && !isDeepStrictEqual(priorDetails.escalation, details.escalation));
        const res: [Record<string, unknown>[], number] = await m.query(
          `UPDATE alerts SET last_seen_at = now(), severity = $2, message = $3, details = $4::jsonb WHERE id = $1 RETURNING *`,
          [prior.id, a.severity, a.message, JSON.stringify(details)],
        );
        return { row: res[0][0], event: escalated ? ('alert.escalated' as const) : null };
      }
      throw new Error(`alert ${a.kind}/${a.subject}: could neither open nor find the open alert`);
    });
    const alert = toAlert(row);
    if (event === 'alert.opened') this.opened.inc({ kind: a.kind, severity: a.severity });
    if (event) {
      await this.enqueueDelivery(alert, event);
      this.logger.warn({ kind: a.kind, subject: a.subject, severity: a.severity }, event === 'alert.opened' ? 'alert opened' : 'alert escalated');
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

  private async enqueueDelivery(alert: Alert, type: string): Promise<void> {
    if (!this.cfg.ALERT_WEBHOOK_URL || !this.cfg.ALERT_WEBHOOK_SECRET) return;
    const eventId = `alert-${alert.id}-${type === 'alert.opened' ? 'opened' : `esc-${Date.now()}`}`;
    await this.queue.add(
      ALERTS_DELIVER_JOB,
      { eventId, type, alert },
      {
        // The job id dedupes a double enqueue of the same event; the webhook-id lets receivers dedupe retries.
        jobId: eventId,
        attempts: this.cfg.ALERT_WEBHOOK_ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 1000 },
      },
    );
  }
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
