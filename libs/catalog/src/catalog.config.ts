import { IsInt, Max, Min } from 'class-validator';

export class CatalogConfig {
  /** Tries per publish job for retryable failures (5xx, timeouts) before it ends `failed`. */
  @IsInt()
  @Min(1)
  @Max(50)
  CATALOG_PUBLISH_ATTEMPTS = 8;

  /** First retry delay; doubles each attempt, with jitter. */
  @IsInt()
  @Min(10)
  CATALOG_PUBLISH_BACKOFF_MS = 1000;

  /** Publish jobs one worker runs at once (Amazon's own pace is set by the adapter's bucket). */
  @IsInt()
  @Min(1)
  @Max(200)
  CATALOG_PUBLISH_CONCURRENCY = 20;

  /** How often reviews are pulled from Nykaa and the storefront. */
  @IsInt()
  @Min(1000)
  CATALOG_REVIEWS_EVERY_MS = 60_000;

  /** While a channel is paused (its credential failing), a publish job checks back this often. */
  @IsInt()
  @Min(100)
  CATALOG_PAUSED_RECHECK_MS = 30_000;
}
