export const PARTNERS = ['amazon', 'nykaa', 'razorpay', 'cloudinary'] as const;
export type Partner = (typeof PARTNERS)[number];

/** Fields each partner's credential carries (all strings; secrets among them). */
export interface PartnerFields {
  amazon: { clientId: string; clientSecret: string; refreshToken: string; sellerId: string; marketplaceId: string };
  nykaa: { apiKey: string; sellerId: string };
  razorpay: { keyId: string; keySecret: string; webhookSecret: string };
  cloudinary: { cloudName: string; apiKey: string; apiSecret: string };
}

export interface PartnerCredential<P extends Partner = Partner> {
  partner: P;
  /** Version number in the vault (1 for the environment-only implementation). */
  version: number;
  fields: PartnerFields[P];
}

/**
 * The only way code reaches an outbound partner secret. Adapters ask for the current version
 * when they need it (never cache secrets themselves) and report how the partner answered, so
 * the vault can mark a credential failing and pause what depends on it.
 */
export abstract class PartnerCredentials {
  abstract current<P extends Partner>(partner: P): Promise<PartnerCredential<P>>;

  /**
   * Every version still usable, current first: during a rotation an inbound signature
   * (Razorpay webhooks) may be made with the previous secret.
   */
  abstract usable<P extends Partner>(partner: P): Promise<PartnerCredential<P>[]>;

  /** The partner refused this version (401/403, invalid_client...). */
  abstract reportRejected(partner: Partner, version: number, reason: string): Promise<void>;

  /** The partner accepted this version in real traffic. */
  abstract reportAccepted(partner: Partner, version: number): Promise<void>;
}

/** Raised when a partner has no credential configured at all. */
export class MissingPartnerCredentialError extends Error {
  constructor(readonly partner: Partner, missing: string[]) {
    super(`No ${partner} credential is configured (missing: ${missing.join(', ')})`);
    this.name = 'MissingPartnerCredentialError';
  }
}
