import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsUrlWithProtocol } from '@hub/core';

/**
 * Where the channel partners live (default: the local partner sandbox) and how hard we may
 * call them. Credentials are not here on purpose: they come from PartnerCredentials only.
 */
export class ChannelsConfig {
  /** Channels this hub publishes to, comma-separated subset of amazon,nykaa,storefront. */
  @Matches(/^\s*(amazon|nykaa|storefront)(\s*,\s*(amazon|nykaa|storefront))*\s*$/, {
    message: 'must be a comma-separated list of amazon, nykaa, storefront',
  })
  HUB_CHANNELS = 'amazon,nykaa,storefront';

  @IsUrlWithProtocol(['http:', 'https:'])
  AMAZON_LWA_URL = 'http://127.0.0.1:4010/auth/o2/token';

  @IsUrlWithProtocol(['http:', 'https:'])
  AMAZON_SPAPI_URL = 'http://127.0.0.1:4010';

  /** Amazon product type used for new listings. */
  @IsString()
  AMAZON_PRODUCT_TYPE = 'BEAUTY';

  /** Language tag of the text attributes we send to Amazon. */
  @IsString()
  AMAZON_LANGUAGE_TAG = 'en_IN';

  /** Outbound token bucket for the Listings Items API (Amazon's own limit is 5/s, burst 5). */
  @IsInt()
  @Min(1)
  @Max(1000)
  AMAZON_RATE_PER_SECOND = 5;

  @IsInt()
  @Min(1)
  @Max(1000)
  AMAZON_BURST = 5;

  /**
   * How much later than us Amazon may start counting a burst (the first request of a burst pays
   * for connection set-up); our bucket refills that much later so it never runs ahead of Amazon's.
   */
  @IsInt()
  @Min(0)
  @Max(5000)
  AMAZON_BUCKET_MARGIN_MS = 100;

  @IsUrlWithProtocol(['http:', 'https:'])
  NYKAA_API_URL = 'http://127.0.0.1:4010/nykaa';

  /** Per-request timeout for partner calls; a timeout counts as the partner being unavailable. */
  @IsInt()
  @Min(100)
  @Max(120_000)
  PARTNER_TIMEOUT_MS = 10_000;
}
