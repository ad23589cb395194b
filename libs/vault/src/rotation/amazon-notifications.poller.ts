import { Injectable, Logger } from '@nestjs/common';
import type { PartnerFields } from '@hub/core';
import { VaultConfig } from '../vault.config';
import { VaultService } from '../vault.service';

interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
}

interface AmazonNotification {
  notificationType?: string;
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
 * secret-expiry notice is recorded on the current version (health and alerts follow); a new
 * secret becomes a pending version, is verified with LWA and promoted. A message is deleted only
 * once handled, so a failure leaves it to be received again (SQS is at least once, and so are we:
 * a second delivery finds the version already stored).
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
    switch (n.notificationType) {
      case 'APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY': {
        const p = n.payload?.applicationOAuthClientSecretExpiry;
        const at = p?.clientSecretExpiryTime ? new Date(p.clientSecretExpiryTime) : null;
        if (!p || !at || Number.isNaN(at.getTime())) return this.skip(msg, 'expiry notice without a valid clientSecretExpiryTime');
        if (!current || current.clientId !== p.clientId) return this.skip(msg, 'expiry notice for another LWA client');
        await this.vault.recordCurrentExpiry('amazon', at, ACTOR);
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
        const outcome = existing
          ? existing.status === 'pending'
            ? await this.vault.verify('amazon', existing.version, ACTOR)
            : null
          : await this.vault.write('amazon', { fields, source: 'amazon-notification', previousExpiresAt: validOldExpiry }, ACTOR);
        result.newSecrets++;
        if (!outcome) return true;
        if (outcome.verification.ok) {
          this.logger.log({ version: outcome.credential.version }, 'new Amazon client secret verified and made current');
          return true;
        }
        // Refused by LWA: keep it pending with the error for an operator; LWA down: try again later.
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
