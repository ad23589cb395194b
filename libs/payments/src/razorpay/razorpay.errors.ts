import { PartnerUnavailableError } from '@hub/core';

/** Razorpay refused the request itself (a 4xx other than auth): our input was wrong, retrying will not help. */
export class RazorpayRequestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly description: string,
    readonly field: string | null,
  ) {
    super(`Razorpay refused the request (${statusCode} ${code}): ${description}${field ? ` [field ${field}]` : ''}`);
    this.name = 'RazorpayRequestError';
  }
}

/**
 * No usable Razorpay credential (none in the vault, or it no longer decrypts). A kind of
 * PartnerUnavailableError: callers answer 503 and retry later, never 500.
 */
export class RazorpayCredentialUnavailableError extends PartnerUnavailableError {
  constructor(source: unknown) {
    super('storefront', `No usable Razorpay credential: ${source instanceof Error ? `${source.name}: ${source.message}` : String(source)}`);
    this.name = 'RazorpayCredentialUnavailableError';
  }
}
