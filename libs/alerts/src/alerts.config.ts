import { IsDefined, IsInt, IsString, Matches, Min, ValidateIf } from 'class-validator';
import { IsUrlWithProtocol, Sensitive } from '@hub/core';

/** Either both alert webhook settings are set or neither: one alone would silently send nothing. */
const eitherWebhookSetting = (c: AlertsConfig) => c.ALERT_WEBHOOK_URL !== undefined || c.ALERT_WEBHOOK_SECRET !== undefined;

export class AlertsConfig {
  @ValidateIf(eitherWebhookSetting)
  @IsDefined({ message: 'is required when ALERT_WEBHOOK_SECRET is set (where to POST the signed alerts)' })
  @IsUrlWithProtocol(['http:', 'https:'])
  ALERT_WEBHOOK_URL?: string;

  /** Standard Webhooks secret: `whsec_` followed by the base64 of the signing key. */
  @ValidateIf(eitherWebhookSetting)
  @IsDefined({ message: 'is required when ALERT_WEBHOOK_URL is set (a whsec_ secret to sign the alerts with)' })
  @IsString()
  @Matches(/^whsec_[A-Za-z0-9+/]+={0,2}$/, { message: 'must be whsec_<base64>' })
  @Sensitive()
  ALERT_WEBHOOK_SECRET?: string;

  @IsInt()
  @Min(250)
  ALERTS_EVALUATE_EVERY_MS = 60_000;

  /**
   * How often the worker looks for alert webhooks recorded but not delivered, and how old such an
   * event must be before it is queued again (the raising process normally queues it at once).
   */
  @IsInt()
  @Min(250)
  ALERTS_REDELIVER_EVERY_MS = 30_000;

  /** Delivery attempts per alert before giving up (exponential backoff from 1 s). */
  @IsInt()
  @Min(1)
  ALERT_WEBHOOK_ATTEMPTS = 10;

  @IsInt()
  @Min(100)
  ALERT_WEBHOOK_TIMEOUT_MS = 5_000;
}
