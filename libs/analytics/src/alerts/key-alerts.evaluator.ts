import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AlertInput, AlertKind, AlertsService } from '@hub/alerts';
import { ApiKeyRecord, ApiKeysService, QuotaUsageService } from '@hub/api-keys';
import { AnalyticsConfig } from '../analytics.config';
import { anomaly, errorRate, quotaNear } from '../key-health/key-conditions';
import { KeyHealthService } from '../key-health/key-health.service';

export const KEY_ALERT_KINDS: AlertKind[] = ['key-zombie', 'key-silent', 'key-anomaly', 'quota-near', 'key-error-rate'];

const PAGE = 200;
/** Beyond this many keys the evaluation gives up (null: nothing is resolved) rather than run for minutes. */
const MAX_PAGES = 50;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The key alerts, from the definitions in key-conditions.ts (docs/analytics.md): one scan of the
 * keys a page at a time, each page's usage facts in one query and its quota counters in one MGET.
 * Returns every condition true now; AlertsService opens what is new and resolves what cleared.
 */
@Injectable()
export class KeyAlertsEvaluator implements OnModuleInit {
  private readonly logger = new Logger(KeyAlertsEvaluator.name);

  constructor(
    private readonly alerts: AlertsService,
    private readonly keys: ApiKeysService,
    private readonly health: KeyHealthService,
    private readonly quotas: QuotaUsageService,
    private readonly cfg: AnalyticsConfig,
  ) {}

  onModuleInit(): void {
    this.alerts.registerEvaluator({ kinds: KEY_ALERT_KINDS, evaluate: () => this.evaluate() });
  }

  async evaluate(now = Date.now()): Promise<AlertInput[] | null> {
    const out: AlertInput[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.keys.list({ limit: PAGE, cursor });
      const usable = res.data.filter((k) => k.status === 'active' || k.status === 'expiring');
      const [health, quotas] = await Promise.all([
        this.health.assess(usable, now),
        this.quotas.read(usable.map((k) => ({ keyId: k.keyId, quota: k.effectiveLimits.quota })), now),
      ]);
      for (const k of usable) {
        const h = health.get(k.keyId)!;
        const f = h.facts;
        const base = { keyId: k.keyId, name: k.name };
        if (h.zombie) {
          out.push(this.alert('key-zombie', k, 'warning',
            f.lastUsedAt === null
              ? `API key ${k.keyId} (${k.name}) was created ${k.createdAt} and has never been used; revoke it if nothing needs it`
              : `API key ${k.keyId} (${k.name}) has not been used since ${iso(f.lastUsedAt)}; revoke it if nothing needs it`,
            { ...base, createdAt: k.createdAt, lastUsedAt: iso(f.lastUsedAt), days: this.cfg.KEY_ZOMBIE_DAYS }));
        }
        if (h.silent) {
          out.push(this.alert('key-silent', k, 'warning',
            `API key ${k.keyId} (${k.name}) called on ${f.baselineActiveDays} of the ${this.cfg.KEY_SILENT_BASELINE_DAYS} days before and has made no request since ${iso(f.lastUsedAt)}`,
            { ...base, lastUsedAt: iso(f.lastUsedAt), activeDays: f.baselineActiveDays, silentHours: this.cfg.KEY_SILENT_HOURS }));
        }
        const spike = anomaly(f, this.cfg);
        if (spike) {
          out.push(this.alert('key-anomaly', k, 'warning',
            `API key ${k.keyId} (${k.name}) made ${spike.requests} requests in an hour, over ${this.cfg.KEY_ANOMALY_FACTOR}x its hourly mean of ${spike.hourlyMean}`,
            { ...base, ...spike, factor: this.cfg.KEY_ANOMALY_FACTOR }));
        }
        const errors = errorRate(f, this.cfg);
        if (errors) {
          out.push(this.alert('key-error-rate', k, errors.serverSide ? 'critical' : 'warning',
            errors.serverSide
              ? `${Math.round(errors.rate5xx * 1000) / 10}% of API key ${k.keyId}'s ${errors.requests} requests in the last hours failed with 5xx`
              : `${Math.round(errors.errorRate * 1000) / 10}% of API key ${k.keyId}'s ${errors.requests} requests in the last hours were answered 4xx or 5xx`,
            { ...base, requests: errors.requests, errorRate: errors.errorRate, rate5xx: errors.rate5xx, errors4xx: f.recent4xx, errors5xx: f.recent5xx }));
        }
        const q = quotas.get(k.keyId);
        if (q && quotaNear(f, q.used, q.limit, this.cfg)) {
          const exhausted = q.used >= q.limit;
          out.push(this.alert('quota-near', k, exhausted ? 'critical' : 'warning',
            `API key ${k.keyId} (${k.name}) has used ${Math.min(q.used, q.limit)} of its ${q.limit} requests this ${q.period}${exhausted ? ' (exhausted)' : ''}; it resets at ${q.resetsAt}`,
            { ...base, used: q.used, limit: q.limit, period: q.period, resetsAt: q.resetsAt }));
        }
      }
      if (!res.nextCursor) return out;
      cursor = res.nextCursor;
    }
    this.logger.warn({ keys: MAX_PAGES * PAGE }, 'stopped evaluating key alerts; too many keys');
    return null;
  }

  private alert(kind: AlertKind, k: ApiKeyRecord, severity: AlertInput['severity'], message: string, details: Record<string, unknown>): AlertInput {
    return { kind, subject: k.keyId, severity, message, details };
  }
}
