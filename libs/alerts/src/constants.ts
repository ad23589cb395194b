export const ALERTS_QUEUE = 'alerts';
/** Repeatable: re-evaluates every registered condition so alerts open and resolve without events. */
export const ALERTS_EVALUATE_JOB = 'alerts-evaluate';
/** One per new (or escalated) alert: the signed POST to ALERT_WEBHOOK_URL, retried with backoff. */
export const ALERTS_DELIVER_JOB = 'alerts-deliver';
/** Repeatable: queues the webhooks recorded in Postgres but never queued (Redis failed at that moment). */
export const ALERTS_REDELIVER_JOB = 'alerts-redeliver';

export const ALERT_KINDS = [
  'credential-expiring',
  'credential-expired',
  'credential-failing',
  'credential-stale',
  'channel-sync-paused',
  'key-expiring',
  // Raised by the API-key analytics when it lands; listed so every lib shares one vocabulary.
  'key-zombie',
  'key-silent',
  'key-anomaly',
  'quota-near',
  'key-error-rate',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
