import { Injectable, Logger } from '@nestjs/common';
import type { PartnerFields } from '@hub/core';
import { AMAZON_NOTICE_SOURCE } from '../constants';
import { VaultConfig } from '../vault.config';
import { VaultService } from '../vault.service';

interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
}

interface AmazonNotification {
  notificationType?: string;
  eventTime?: string;
  notificationMetadata?: { publishTime?: string };
  payload?: {
    applicationOAuthClientNewSecret?: { clientId?: string; newClientSecret?: string; oldClientSecretExpiryTime?: string };
    applicationOAuthClientSecretExpiry?: { clientId?: string; clientSecretExpiryTime?: string };
  };
}

export interface PollResult {
  received: number;
  deleted: number;
  newSecrets: number;
  expiries: number;
}

const ACTOR = { system: 'system:amazon-notification' };

/**
 * Ingests Amazon's application notifications from the SQS queue they are delivered to: a
 * secret-expiry notice is recorded on the current version (health and alerts follow) unless it
 * was published before that version became current; a new secret becomes a pending version, is
 * verified with LWA and promoted, and the old secret's announced end is recorded on the current
 * version first. A message is deleted only once handled, so a failure leaves it to be received
 * again (SQS is at least once, and so are we: a second delivery finds the version already stored).
 * A new secret LWA refuses is deleted too; it stays pending with an alert open, and the re-check
 * job retries it.
 */
@Injectable()
export class AmazonNotificationsPoller {
  private readonly logger = new Logger(AmazonNotificationsPoller.name);

  constructor(
    private readonly cfg: VaultConfig,
    private readonly vault: VaultService,
  ) {}

  async poll(maxMessages = 10): Promise<PollResult> {
    const result: PollResult = { received: 0, deleted: 0, newSecrets: 0, expiries: 0 };
    const res = await fetch(`${this.base()}/receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maxMessages }),
      signal: AbortSignal.timeout(this.cfg.VAULT_VERIFY_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`Amazon notifications queue answered ${res.status}`);
    const { Messages = [] } = (await res.json()) as { Messages?: SqsMessage[] };
    result.received = Messages.length;
    for (const msg of Messages) {
      let done = false;
      try {
        done = await this.handle(msg, result);
      } catch (err) {
        // Never log the body: a new-secret notice carries the secret.
        this.logger.error({ messageId: msg.MessageId, err: (err as Error).message }, 'Amazon notification could not be handled; it will be received again');
      }
      if (done) {
        await this.delete(msg.ReceiptHandle);
        result.deleted++;
      }
    }
    return result;
  }

  /** true when the message is finished with (handled, duplicate or not ours). */
  private async handle(msg: SqsMessage, result: PollResult): Promise<boolean> {
    let n: AmazonNotification;
    try {
      n = JSON.parse(msg.Body) as AmazonNotification;
    } catch {
      this.logger.warn({ messageId: msg.MessageId }, 'dropping an Amazon notification that is not JSON');
      return true;
    }
    const current = await this.vault.currentFields('amazon');
    // SQS delivers in any order: the publish time tells which version a notice can be about.
    const announcedAt = noticeTime(n);
    switch (n.notificationType) {
      case 'APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY': {
        const p = n.payload?.applicationOAuthClientSecretExpiry;
        const at = p?.clientSecretExpiryTime ? new Date(p.clientSecretExpiryTime) : null;
        if (!p || !at || Number.isNaN(at.getTime())) return this.skip(msg, 'expiry notice without a valid clientSecretExpiryTime');
        if (!current || current.clientId !== p.clientId) return this.skip(msg, 'expiry notice for another LWA client');
        const recorded = await this.vault.recordCurrentExpiry('amazon', at, ACTOR, { announcedAt });
        if ('skipped' in recorded) return this.skip(msg, `expiry notice older than the current version: ${recorded.skipped}`);
        result.expiries++;
        this.logger.warn({ expiresAt: at.toISOString() }, 'Amazon announced the expiry of the current client secret');
        return true;
      }
      case 'APPLICATION_OAUTH_CLIENT_NEW_SECRET': {
        const p = n.payload?.applicationOAuthClientNewSecret;
        if (!p?.newClientSecret || !p.clientId) return this.skip(msg, 'new-secret notice without clientId or newClientSecret');
        if (!current || current.clientId !== p.clientId) return this.skip(msg, 'new-secret notice for another LWA client');
        const fields: PartnerFields['amazon'] = { ...current, clientSecret: p.newClientSecret };
        const oldExpiry = p.oldClientSecretExpiryTime ? new Date(p.oldClientSecretExpiryTime) : undefined;
        const validOldExpiry = oldExpiry && !Number.isNaN(oldExpiry.getTime()) ? oldExpiry : undefined;
        const existing = await this.vault.findByFields('amazon', fields as unknown as Record<string, string>);
        if (existing && existing.status !== 'pending') {
          result.newSecrets++;
          return true;
        }
        // SQS keeps no order: a new-secret notice published before the current version, which itself
        // came from a (later) notice, announces an older secret; promoting it would roll the rotation
        // back onto a secret that expires. A version an operator stored by hand does not count: the
        // notice may still carry the secret Amazon keeps, so it is processed as usual.
        const origin = await this.vault.currentOrigin('amazon');
        if (!existing && announcedAt && origin?.source === AMAZON_NOTICE_SOURCE && announcedAt.getTime() < origin.since.getTime()) {
          return this.skip(msg, `new-secret notice published at ${announcedAt.toISOString()}, before v${origin.version} (from a later notice) became current`);
        }
        if (validOldExpiry) {
          // Before LWA has its say: if it refuses the new secret this message is deleted, and the
          // current version is where the date must survive (health and alerts read it there). The
          // alerts wait for the outcome, so a rotation that succeeds opens no expiring alert.
          const recorded = await this.vault.recordCurrentExpiry('amazon', validOldExpiry, ACTOR, { announcedAt, keepEarlier: true, reconcileAlerts: false });
          if ('skipped' in recorded) this.logger.warn({ messageId: msg.MessageId, why: recorded.skipped }, "old secret's announced expiry not recorded on the current version");
        }
        const outcome = existing
          ? await this.vault.verify('amazon', existing.version, ACTOR)
          : await this.vault.write('amazon', { fields, source: AMAZON_NOTICE_SOURCE, previousExpiresAt: validOldExpiry }, ACTOR);
        result.newSecrets++;
        if (!outcome) return true;
        if (outcome.verification.ok) {
          this.logger.log({ version: outcome.credential.version }, 'new Amazon client secret verified and made current');
          return true;
        }
        // Refused by LWA: it stays pending, alerted and retried by the re-check; LWA down: the message comes back.
        this.logger.error({ version: outcome.credential.version, error: outcome.verification.error }, 'new Amazon client secret failed verification');
        return outcome.verification.rejected;
      }
      default:
        return this.skip(msg, `notification type ${String(n.notificationType)} is not handled`);
    }
  }

  private skip(msg: SqsMessage, why: string): true {
    this.logger.warn({ messageId: msg.MessageId, why }, 'ignoring Amazon notification');
    return true;
  }

  private async delete(receiptHandle: string): Promise<void> {
    const res = await fetch(`${this.base()}/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ReceiptHandle: receiptHandle }),
      signal: AbortSignal.timeout(this.cfg.VAULT_VERIFY_TIMEOUT_MS),
    });
    if (!res.ok) this.logger.warn({ status: res.status }, 'deleting an Amazon notification failed; it will be received again and deduplicated');
  }

  private base(): string {
    return this.cfg.AMAZON_NOTIFICATIONS_URL.replace(/\/+$/, '');
  }
}

/** When Amazon published the notice (its event time if the metadata is missing); undefined if neither parses. */
function noticeTime(n: AmazonNotification): Date | undefined {
  for (const t of [n.notificationMetadata?.publishTime, n.eventTime]) {
    const d = t ? new Date(t) : null;
    if (d && !Number.isNaN(d.getTime())) return d;
  }
  return undefined;
}
