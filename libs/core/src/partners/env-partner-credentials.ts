import { Injectable } from '@nestjs/common';
import { MissingPartnerCredentialError, Partner, PartnerCredential, PartnerCredentials, PartnerFields } from './partner-credentials';

/** Environment variable behind each credential field (also the vault's bootstrap source). */
export const PARTNER_ENV: { [P in Partner]: Record<keyof PartnerFields[P], string> } = {
  amazon: {
    clientId: 'AMAZON_LWA_CLIENT_ID',
    clientSecret: 'AMAZON_LWA_CLIENT_SECRET',
    refreshToken: 'AMAZON_LWA_REFRESH_TOKEN',
    sellerId: 'AMAZON_SELLER_ID',
    marketplaceId: 'AMAZON_MARKETPLACE_ID',
  },
  nykaa: { apiKey: 'NYKAA_API_KEY', sellerId: 'NYKAA_SELLER_ID' },
  razorpay: { keyId: 'RAZORPAY_KEY_ID', keySecret: 'RAZORPAY_KEY_SECRET', webhookSecret: 'RAZORPAY_WEBHOOK_SECRET' },
  cloudinary: { cloudName: 'CLOUDINARY_CLOUD_NAME', apiKey: 'CLOUDINARY_API_KEY', apiSecret: 'CLOUDINARY_API_SECRET' },
};

/** Reads a partner credential from the environment; undefined when any field is missing. */
export function partnerFieldsFromEnv<P extends Partner>(partner: P, env = process.env): PartnerFields[P] | undefined {
  const map = PARTNER_ENV[partner] as Record<string, string>;
  const fields: Record<string, string> = {};
  if (partner === 'cloudinary' && env.CLOUDINARY_URL) {
    // cloudinary://<api_key>:<api_secret>@<cloud_name>?upload_prefix=...
    try {
      const u = new URL(env.CLOUDINARY_URL);
      fields.apiKey = decodeURIComponent(u.username);
      fields.apiSecret = decodeURIComponent(u.password);
      fields.cloudName = u.hostname;
    } catch {
      /* fall through to the discrete variables */
    }
  }
  for (const [field, variable] of Object.entries(map)) {
    if (env[variable]) fields[field] = env[variable]!;
  }
  return Object.keys(map).every((f) => fields[f]) ? (fields as PartnerFields[P]) : undefined;
}

/** Environment-backed credentials: the bootstrap implementation before the vault takes over. */
@Injectable()
export class EnvPartnerCredentials extends PartnerCredentials {
  async current<P extends Partner>(partner: P): Promise<PartnerCredential<P>> {
    const fields = partnerFieldsFromEnv(partner);
    if (!fields) {
      const missing = Object.values(PARTNER_ENV[partner] as Record<string, string>).filter((v) => !process.env[v]);
      throw new MissingPartnerCredentialError(partner, missing);
    }
    return { partner, version: 1, fields };
  }

  async usable<P extends Partner>(partner: P): Promise<PartnerCredential<P>[]> {
    return [await this.current(partner)];
  }

  async reportRejected(): Promise<void> {}
  async reportAccepted(): Promise<void> {}
}
