import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem, RequireScope } from '@hub/core';
import { TimeWindowQuery, timeWindow, usageWindow } from '@hub/api-keys';
import { AnalyticsConfig } from './analytics.config';
import { AnalyticsService } from './analytics.service';
import { KeysAnalyticsQuery, UsageAnalyticsQuery } from './dto/analytics-query.dto';
import { EndpointAnalyticsListDto, KeyAnalyticsListDto, UsageAnalyticsDto } from './dto/analytics-response.dto';

const BAD_QUERY = 'a malformed date, `from` not before `to`, a window over the maximum, a bad `granularity`, `keyId` or `cursor`, an unknown parameter (names the field)';
const FRESHNESS = ' Counts land within about a second (API_KEY_USAGE_FLUSH_MS), latency percentiles within about 10 s; `lastUsedAt` within API_KEY_LAST_USED_FLUSH_MS.';

@ApiTags('analytics')
// The API key answers (401/403/429, with the RateLimit headers) are documented for every key route by completeOpenApiDocument.
@ApiProblem(400, 'validation-failed', BAD_QUERY)
@Controller('v1/analytics')
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsService,
    private readonly cfg: AnalyticsConfig,
  ) {}

  @Get('keys')
  @RequireScope('analytics:read')
  @ApiOperation({
    summary: 'Usage analytics per API key',
    description:
      'Per key over the window (default: the last 7 days): requests, 4xx/5xx counts and rates, latency percentiles, the peak hour, lastUsedAt, ' +
      'the quota used in its current period, the zombie and silent flags, and the (User-Agent, X-Client-Version) pairs seen. ' +
      'Keys in the order and with the cursors of GET /v1/keys.' + FRESHNESS,
  })
  @ApiOkResponse({ type: KeyAnalyticsListDto })
  async keys(@Query() q: KeysAnalyticsQuery): Promise<KeyAnalyticsListDto> {
    const w = timeWindow(q, 7, this.cfg.ANALYTICS_MAX_WINDOW_DAYS);
    const page = await this.analytics.keyAnalytics(w, { limit: q.limit, cursor: q.cursor });
    return { from: w.from.toISOString(), to: w.to.toISOString(), ...page };
  }

  @Get('usage')
  @RequireScope('analytics:read')
  @ApiOperation({
    summary: 'Usage over time',
    description:
      'Requests, errors and latency per UTC hour (window up to 31 days, default 24 h) or day (up to 366 days, default 30 days), for one key or every key together. ' +
      'An unknown keyId is 400 naming `keyId`.' + FRESHNESS,
  })
  @ApiOkResponse({ type: UsageAnalyticsDto })
  async usage(@Query() q: UsageAnalyticsQuery): Promise<UsageAnalyticsDto> {
    const granularity = q.granularity ?? 'hour';
    const w = usageWindow(q, granularity);
    const keyId = q.keyId ?? null;
    return { keyId, granularity, from: w.from.toISOString(), to: w.to.toISOString(), data: await this.analytics.usage(w, keyId, granularity) };
  }

  @Get('endpoints')
  @RequireScope('analytics:read')
  @ApiOperation({
    summary: 'Usage per route',
    description:
      'Per route (`GET /v1/products/:sku`) over the window (default: the last 7 days), busiest first: requests, 4xx/5xx counts and rates, latency percentiles. ' +
      'Counts the requests the API key check admitted to the route; the check\'s own 429 refusals count in the key figures only, its 401/403 refusals in neither (they are in the audit trail).' + FRESHNESS,
  })
  @ApiOkResponse({ type: EndpointAnalyticsListDto })
  async endpoints(@Query() q: TimeWindowQuery): Promise<EndpointAnalyticsListDto> {
    const w = timeWindow(q, 7, this.cfg.ANALYTICS_MAX_WINDOW_DAYS);
    return { from: w.from.toISOString(), to: w.to.toISOString(), data: await this.analytics.endpoints(w) };
  }
}
