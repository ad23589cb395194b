/** Queue for the vault's periodic work (re-checks, retirements, Amazon rotation notices). */
export const VAULT_QUEUE = 'vault';
export const VAULT_RECHECK_JOB = 'vault-recheck';
export const AMAZON_NOTIFICATIONS_JOB = 'amazon-notifications-poll';

/** `source` of a version written from Amazon's new-secret notice: no operator is waiting on its verification. */
export const AMAZON_NOTICE_SOURCE = 'amazon-notification';

/** Redis pub/sub channel (under REDIS_PREFIX) telling every instance a partner's versions changed. */
export const vaultChangedChannel = (prefix: string) => `${prefix}:vault:changed`;

/** Limits on what a PUT may store (bytes of UTF-8 per field). */
export const MAX_FIELD_BYTES = 4096;
