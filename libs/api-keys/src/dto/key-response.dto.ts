import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, SCOPES, TIERS } from '@hub/core';
import { LimitsDto, QuotaDto } from './key.dto';

// `string | null` and `number | null` reflect as Object: each such property names its type, or
// OpenAPI would call it an object.

class UsageTotalsDto {
  @ApiProperty({ type: 'integer' }) requests: number;
  @ApiProperty({ type: 'integer' }) errors4xx: number;
  @ApiProperty({ type: 'integer' }) errors5xx: number;
}

class EffectiveLimitsDto {
  @ApiProperty({ type: 'integer' }) burstPerSecond: number;
  @ApiProperty({ type: QuotaDto, nullable: true, example: { limit: 5000, period: 'month' }, description: 'null: no quota' }) quota: QuotaDto | null;
}

/** Documentation shape of a key record (the secret is never part of it). */
export class ApiKeyRecordDto {
  @ApiProperty({ example: 'a1B2c3D4e5F6' }) keyId: string;
  @ApiProperty({ example: 'nsk_live_a1B2c3D4e5F6_x9Yz', description: 'keyId and the first 4 characters of the secret' }) prefix: string;
  @ApiProperty({ example: 'x9Yz' }) start: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['live', 'test'] }) environment: string;
  @ApiPropertyOptional({ type: String, nullable: true }) application: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes: string[];
  @ApiProperty({ enum: CHANNELS, isArray: true, nullable: true }) channels: string[] | null;
  @ApiProperty({ enum: TIERS }) tier: string;
  @ApiProperty({ type: LimitsDto, nullable: true }) limits: LimitsDto | null;
  @ApiProperty({ type: EffectiveLimitsDto }) effectiveLimits: EffectiveLimitsDto;
  @ApiProperty({ type: [String], nullable: true }) allowedCidrs: string[] | null;
  @ApiProperty({ enum: ['active', 'expiring', 'expired', 'revoked'], description: 'expiring: expires within 7 days' }) status: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;
  @ApiProperty({ type: String, nullable: true }) revokedReason: string | null;
  @ApiProperty({ type: String, nullable: true }) revokedBy: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The key that replaced this one' }) rotatedTo: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The key this one replaced' }) rotatedFrom: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, nullable: true }) createdBy: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Written asynchronously, within about a second' }) lastUsedAt: string | null;
  @ApiProperty({ type: UsageTotalsDto }) usage: UsageTotalsDto;
}

export class CreatedKeyDto extends ApiKeyRecordDto {
  @ApiProperty({ example: 'nsk_live_a1B2c3D4e5F6_x9Yz...', description: 'The full key. Shown once: store it now.' })
  key: string;
}

export class RotatedKeyDto extends CreatedKeyDto {
  @ApiProperty({ type: ApiKeyRecordDto, description: 'The old key, now with rotatedTo and its new expiresAt' })
  previous: ApiKeyRecordDto;
}

export class KeyListDto {
  @ApiProperty({ type: [ApiKeyRecordDto] }) data: ApiKeyRecordDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

class UsagePointDto {
  @ApiProperty({ format: 'date-time' }) start: string;
  @ApiProperty({ type: 'integer' }) requests: number;
  @ApiProperty({ type: 'integer' }) errors4xx: number;
  @ApiProperty({ type: 'integer' }) errors5xx: number;
  @ApiProperty({ type: Number, nullable: true }) avgLatencyMs: number | null;
  @ApiProperty({ type: Number, nullable: true }) maxLatencyMs: number | null;
}

export class KeyUsageDto {
  @ApiProperty() keyId: string;
  @ApiProperty({ enum: ['hour', 'day'] }) granularity: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ type: [UsagePointDto] }) data: UsagePointDto[];
}

class AuditEventDto {
  @ApiProperty({ example: '1042', description: 'Increasing; the last one of a page is its nextCursor' }) id: string;
  @ApiProperty({ format: 'date-time', description: 'The first occurrence' }) occurredAt: string;
  @ApiProperty({ format: 'date-time', description: 'The last occurrence of an aggregated event (`count` > 1); occurredAt otherwise' }) lastAt: string;
  @ApiProperty({ example: 'key.revoked' }) action: string;
  @ApiProperty({ type: String, nullable: true, description: 'The key that acted' }) actorKeyId: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'api_key' }) subjectType: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'a1B2c3D4e5F6' }) subjectId: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId: string | null;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' }) ip: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Per action, e.g. the reason of key.revoked, the before/after of key.patched' }) details: Record<string, unknown>;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Occurrences aggregated into this event (auth failures per keyId, address, minute and reason)' }) count: number;
}

export class AuditEventListDto {
  @ApiProperty({ type: [AuditEventDto], description: 'Newest first' }) data: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor: string | null;
}
