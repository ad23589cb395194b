import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ChannelSyncControl } from '@hub/core';
import { ApiKeysService } from '@hub/api-keys';
import { AlertInput, AlertsService } from '../alerts.service';

const MAX_KEY_PAGES = 50;

/**
 * Conditions owned by other libs that the alerts job watches: channels whose sync is paused
 * (inventory) and API keys close to expiry (api-keys, status `expiring`). Each source is looked
 * up lazily so the alerts lib works in processes that do not load it.
 */
@Injectable()
export class BuiltinAlertEvaluators implements OnModuleInit {
  private readonly logger = new Logger(BuiltinAlertEvaluators.name);

  constructor(
    private readonly alerts: AlertsService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    this.alerts.registerEvaluator({ kinds: ['channel-sync-paused'], evaluate: () => this.pausedChannels() });
    this.alerts.registerEvaluator({ kinds: ['key-expiring'], evaluate: () => this.expiringKeys() });
  }

  private find<T>(token: abstract new (...a: never[]) => T): T | null {
    try {
      return this.moduleRef.get(token as never, { strict: false }) as T;
    } catch {
      return null;
    }
  }

  async pausedChannels(): Promise<AlertInput[] | null> {
    const ctl = this.find(ChannelSyncControl);
    if (!ctl) return null;
    return (await ctl.pausedChannels()).map((p) => ({
      kind: 'channel-sync-paused' as const,
      subject: p.channel,
      severity: 'critical' as const,
      message: `Sync to ${p.channel} is paused since ${p.since}: ${p.reason}. Updates are held and go out when it resumes.`,
      details: { channel: p.channel, reason: p.reason, since: p.since },
    }));
  }

  async expiringKeys(): Promise<AlertInput[] | null> {
    const keys = this.find(ApiKeysService);
    if (!keys) return null;
    const out: AlertInput[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_KEY_PAGES; page++) {
      const res = await keys.list({ limit: 200, cursor });
      for (const k of res.data) {
        if (k.status !== 'expiring') continue;
        out.push({
          kind: 'key-expiring',
          subject: k.keyId,
          severity: 'warning',
          message: `API key ${k.keyId} (${k.name}) expires at ${k.expiresAt}; before then, rotate it with a new expiresAt (POST /v1/keys/${k.keyId}/rotate) or move its expiresAt (PATCH /v1/keys/${k.keyId})`,
          details: { keyId: k.keyId, name: k.name, expiresAt: k.expiresAt },
        });
      }
      if (!res.nextCursor) return out;
      cursor = res.nextCursor;
    }
    this.logger.warn({ pages: MAX_KEY_PAGES }, 'stopped scanning API keys for expiry; too many keys');
    return null;
  }
}
