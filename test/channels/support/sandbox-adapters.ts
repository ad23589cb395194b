import { EnvPartnerCredentials, loadConfig } from '@hub/core';
import { AmazonAdapter, ChannelsConfig, NykaaAdapter } from '@hub/channels';
import type { RunningSandbox } from '../../sandbox/sandbox-harness';

/** A listing as the catalog hands it to an adapter (fictional sample data). */
export const sampleListing = (sku: string, quantity: number, name = `NovaSkin Adapter Test ${sku}`) => ({
  sku,
  name,
  description: 'SAMPLE DATA - fictional',
  category: 'serum',
  price: '899.00',
  currency: 'INR',
  imageUrl: `https://images.novaskin.example/${sku}.jpg`,
  quantity,
});

/**
 * Resets the sandbox and returns fresh Amazon and Nykaa adapters pointed at it: the reset forgets
 * the access tokens earlier adapters would have cached.
 */
export async function freshSandboxAdapters(sb: RunningSandbox): Promise<{ amazon: AmazonAdapter; nykaa: NykaaAdapter }> {
  await sb.call('POST', '/_sandbox/reset');
  const cfg = loadConfig(ChannelsConfig, { AMAZON_LWA_URL: `${sb.url}/auth/o2/token`, AMAZON_SPAPI_URL: sb.url, NYKAA_API_URL: `${sb.url}/nykaa`, PARTNER_TIMEOUT_MS: '3000' });
  const creds = new EnvPartnerCredentials();
  return { amazon: new AmazonAdapter(cfg, creds), nykaa: new NykaaAdapter(cfg, creds) };
}
