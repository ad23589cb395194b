import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { MetricsService } from '@hub/core';
import type { Counter } from 'prom-client';
import { AlertsConfig } from './alerts.config';
import type { Alert, DeliverJobData } from './alerts.service';
import { AlertsService } from './alerts.service';
import { ALERTS_DELIVER_JOB, ALERTS_EVALUATE_JOB, ALERTS_QUEUE, ALERTS_REDELIVER_JOB } from './constants';
import { signWebhook } from './webhook/standard-webhooks';

/** Jobs queued before the outbox columns existed carried the alert itself. */
type DeliverData = DeliverJobData | { eventId: string; type: string; alert: Alert };

/** Evaluates alert conditions, delivers alert webhooks (a thrown error makes BullMQ retry) and re-queues undelivered ones. */
@Processor(ALERTS_QUEUE)
export class AlertsProcessor extends WorkerHost {
  private readonly logger = new Logger(AlertsProcessor.name);
  private readonly deliveries: Counter<'outcome'>;

  constructor(
    private readonly alerts: AlertsService,
    private readonly cfg: AlertsConfig,
    metrics: MetricsService,
  ) {
    super();
    this.deliveries = metrics.counter('alert_webhook_attempts_total', 'Alert webhook delivery attempts by outcome', ['outcome']);
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case ALERTS_EVALUATE_JOB:
        await this.alerts.evaluateAll();
        return null;
      case ALERTS_DELIVER_JOB:
        return this.deliver(job as Job<DeliverData>);
      case ALERTS_REDELIVER_JOB:
        return { queued: await this.alerts.redeliverPending() };
      default:
        this.logger.warn({ job: job.name }, 'unknown alerts job');
        return null;
    }
  }

  private async deliver(job: Job<DeliverData>): Promise<{ status: number; skipped?: string }> {
    const url = this.cfg.ALERT_WEBHOOK_URL;
    const secret = this.cfg.ALERT_WEBHOOK_SECRET;
    if (!url || !secret) return { status: 0 };
    const { eventId, type } = job.data;
    const alertId = 'alertId' in job.data ? job.data.alertId : job.data.alert.id;
    const state = await this.alerts.deliveryState(alertId);
    if (!state) return { status: 0, skipped: 'alert not found' };
    // Already sent (a second job for the same event, e.g. queued again after the first was removed).
    if (state.eventId === eventId && state.deliveredAt) return { status: 0, skipped: 'delivered' };
    const alert = state.alert;
    const body = JSON.stringify({
      type,
      timestamp: new Date().toISOString(),
      data: {
        id: alert.id,
        kind: alert.kind,
        subject: alert.subject,
        severity: alert.severity,
        message: alert.message,
        details: alert.details,
        openedAt: alert.openedAt,
      },
    });
    // Signed per attempt: the timestamp must be fresh for receivers' replay windows.
    const ts = Math.floor(Date.now() / 1000);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': eventId,
          'webhook-timestamp': String(ts),
          'webhook-signature': signWebhook(secret, eventId, ts, body),
          'user-agent': 'novaskin-hub-alerts/1',
        },
        body,
        signal: AbortSignal.timeout(this.cfg.ALERT_WEBHOOK_TIMEOUT_MS),
      });
    } catch (err) {
      this.deliveries.inc({ outcome: 'failed' });
      throw err;
    }
    if (!res.ok) {
      this.deliveries.inc({ outcome: 'failed' });
      throw new Error(`alert webhook answered ${res.status}`);
    }
    this.deliveries.inc({ outcome: 'delivered' });
    await this.alerts.markDelivered(alertId, eventId);
    return { status: res.status };
  }
}
