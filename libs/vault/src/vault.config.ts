import { IsInt, Matches, Max, Min } from 'class-validator';
import { CloudinaryLocationConfig, IsUrlWithProtocol } from '@hub/core';

/**
 * Where the vault verifies credentials (the same variables the channel adapters use; defaults:
 * the local sandbox) and how it judges their health. CLOUDINARY_API_URL and CLOUDINARY_URL come
 * from CloudinaryLocationConfig: the base media uploads to.
 */
export class VaultConfig extends CloudinaryLocationConfig {
  @IsUrlWithProtocol(['http:', 'https:'])
  AMAZON_LWA_URL = 'http://127.0.0.1:4010/auth/o2/token';

  /** SP-API host: after LWA, verification reads a listing to prove the seller and marketplace. */
  @IsUrlWithProtocol(['http:', 'https:'])
  AMAZON_SPAPI_URL = 'http://127.0.0.1:4010';

  @IsUrlWithProtocol(['http:', 'https:'])
  NYKAA_API_URL = 'http://127.0.0.1:4010/nykaa';

  @IsUrlWithProtocol(['http:', 'https:'])
  RAZORPAY_API_URL = 'http://127.0.0.1:4010/v1/';

  /** The SQS-like queue where Amazon's application notifications arrive. */
  @IsUrlWithProtocol(['http:', 'https:'])
  AMAZON_NOTIFICATIONS_URL = 'http://127.0.0.1:4010/_sqs/amazon-notifications';

  @IsInt()
  @Min(250)
  AMAZON_NOTIFICATIONS_POLL_MS = 30_000;

  /** Days before expiresAt at which a credential counts as expiring (each one escalates the alert). */
  @Matches(/^\d+(\s*,\s*\d+)*$/, { message: 'must be a comma-separated list of whole days, e.g. 30,7,1' })
  VAULT_EXPIRY_WARN_DAYS = '30,7,1';

  /** How long a replaced version stays usable when it has no expiry of its own, set or announced (Amazon: 7). */
  @IsInt()
  @Min(0)
  @Max(365)
  VAULT_PREVIOUS_GRACE_DAYS = 7;

  /** How often the worker re-verifies failing credentials and retires expired previous versions. */
  @IsInt()
  @Min(250)
  VAULT_RECHECK_EVERY_MS = 60_000;

  /** Timeout of one verification call to a partner. */
  @IsInt()
  @Min(100)
  VAULT_VERIFY_TIMEOUT_MS = 10_000;

  /** How long decrypted versions stay cached in process (pub/sub invalidates sooner on change). */
  @IsInt()
  @Min(0)
  VAULT_CACHE_TTL_MS = 60_000;

  /** lastUsedAt is written in batches this often instead of once per partner call. */
  @IsInt()
  @Min(50)
  VAULT_USAGE_FLUSH_MS = 5_000;

  warnDays(): number[] {
    return this.VAULT_EXPIRY_WARN_DAYS.split(',').map((d) => Number(d.trim())).sort((a, b) => b - a);
  }
}
