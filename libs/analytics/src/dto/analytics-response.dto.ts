import { ApiProperty } from '@nestjs/swagger';

export class LatencyDto {
  @ApiProperty({ nullable: true, type: Number, example: 3.2 }) avg: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 2.56,
    description: 'Upper bound of the histogram bucket holding the median (buckets are a quarter of a power of two wide, so at most 25% above the true value), capped at `max`',
  })
  p50: number | null;
  @ApiProperty({ nullable: true, type: Number }) p95: number | null;
  @ApiProperty({ nullable: true, type: Number }) p99: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Exact' }) max: number | null;
}

class TrafficDto {
  @ApiProperty({ type: 'integer' }) requests: number;
  @ApiProperty({ type: 'integer', description: 'Answers 400-499, the guard\'s own 429s included' }) errors4xx: number;
  @ApiProperty({ type: 'integer' }) errors5xx: number;
  @ApiProperty({ nullable: true, type: Number, example: 0.0125, description: 'errors4xx / requests (null without requests)' }) rate4xx: number | null;
  @ApiProperty({ nullable: true, type: Number }) rate5xx: number | null;
  @ApiProperty({ type: LatencyDto, description: 'Milliseconds, from the request reaching the api to the response sent' }) latencyMs: LatencyDto;
}

class PeakHourDto {
  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' }) start: string;
  @ApiProperty({ type: 'integer' }) requests: number;
}

class QuotaUsedDto {
  @ApiProperty({ type: 'integer' }) limit: number;
  @ApiProperty({ enum: ['day', 'month'] }) period: string;
  @ApiProperty() periodStart: string;
  @ApiProperty() resetsAt: string;
  @ApiProperty({ type: 'integer', description: 'Units of this period taken from the quota counter (Redis) that the limiter enforces; see docs/analytics.md' }) used: number;
  @ApiProperty({ type: 'integer' }) remaining: number;
  @ApiProperty({ example: 0.42, description: 'used / limit' }) ratio: number;
}

class ClientDto {
  @ApiProperty({ nullable: true, type: String, description: 'User-Agent (first 200 characters); null when absent' }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'X-Client-Version; null when absent' }) clientVersion: string | null;
  @ApiProperty({ description: 'Start of the first UTC hour of the window it was seen in' }) firstSeenHour: string;
  @ApiProperty() lastSeenHour: string;
}

export class KeyAnalyticsDto extends TrafficDto {
  @ApiProperty({ example: 'a1B2c3D4e5F6' }) keyId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['active', 'expiring', 'expired', 'revoked'] }) status: string;
  @ApiProperty() tier: string;
  @ApiProperty({ type: PeakHourDto, nullable: true, description: 'The UTC hour of the window with the most requests (the earliest on a tie)' }) peakHour: PeakHourDto | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ type: QuotaUsedDto, nullable: true, description: "The key's current quota period (whatever the window); null without a quota" }) quota: QuotaUsedDto | null;
  @ApiProperty({ description: 'Never used, or unused for KEY_ZOMBIE_DAYS (default 30), and at least that old (docs/analytics.md)' }) zombie: boolean;
  @ApiProperty({ description: 'Steady traffic, then none for KEY_SILENT_HOURS (default 24) (docs/analytics.md)' }) silent: boolean;
  @ApiProperty({ type: [ClientDto], description: '(User-Agent, X-Client-Version) pairs seen in the window, most recent first; at most 10 a key and hour are recorded and 20 listed' })
  clients: ClientDto[];
}

export class KeyAnalyticsListDto {
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ type: [KeyAnalyticsDto] }) data: KeyAnalyticsDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class UsageBucketDto extends TrafficDto {
  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' }) start: string;
}

export class UsageAnalyticsDto {
  @ApiProperty({ nullable: true, type: String, description: 'null: every key together' }) keyId: string | null;
  @ApiProperty({ enum: ['hour', 'day'] }) granularity: string;
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ type: [UsageBucketDto] }) data: UsageBucketDto[];
}

export class EndpointAnalyticsDto extends TrafficDto {
  @ApiProperty({ example: 'GET /v1/products/:sku' }) route: string;
  @ApiProperty({ example: 'GET' }) method: string;
  @ApiProperty({ example: '/v1/products/:sku' }) path: string;
}

export class EndpointAnalyticsListDto {
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ type: [EndpointAnalyticsDto], description: 'Busiest first' }) data: EndpointAnalyticsDto[];
}
