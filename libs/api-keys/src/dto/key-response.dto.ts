import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, SCOPES, TIERS } from '@hub/core';
import { LimitsDto } from './key.dto';

class UsageTotalsDto {
  @ApiProperty() requests: number;
  @ApiProperty() errors4xx: number;
  @ApiProperty() errors5xx: number;
}

class EffectiveLimitsDto {
  @ApiProperty() burstPerSecond: number;
  @ApiProperty({ nullable: true, example: { limit: 5000, period: 'month' } }) quota: { limit: number; period: 'day' | 'month' } | null;
}

/** Documentation shape of a key record (the secret is never part of it). */
export class ApiKeyRecordDto {
  @ApiProperty({ example: 'a1B2c3D4e5F6' }) keyId: string;
  @ApiProperty({ example: 'nsk_live_a1B2c3D4e5F6_x9Yz', description: 'keyId and the first 4 characters of the secret' }) prefix: string;
  @ApiProperty({ example: 'x9Yz' }) start: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['live', 'test'] }) environment: string;
  @ApiPropertyOptional({ nullable: true }) application: string | null;
  @ApiProperty() metadata: Record<string, unknown>;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes: string[];
  @ApiProperty({ enum: CHANNELS, isArray: true, nullable: true }) channels: string[] | null;
  @ApiProperty({ enum: TIERS }) tier: string;
  @ApiProperty({ type: LimitsDto, nullable: true }) limits: LimitsDto | null;
  @ApiProperty({ type: EffectiveLimitsDto }) effectiveLimits: EffectiveLimitsDto;
  @ApiProperty({ type: [String], nullable: true }) allowedCidrs: string[] | null;
  @ApiProperty({ enum: ['active', 'expiring', 'expired', 'revoked'], description: 'expiring: expires within 7 days' }) status: string;
  @ApiProperty({ nullable: true }) expiresAt: string | null;
  @ApiProperty({ nullable: true }) revokedAt: string | null;
  @ApiProperty({ nullable: true }) revokedReason: string | null;
  @ApiProperty({ nullable: true }) revokedBy: string | null;
  @ApiProperty({ nullable: true, description: 'The key that replaced this one' }) rotatedTo: string | null;
  @ApiProperty({ nullable: true, description: 'The key this one replaced' }) rotatedFrom: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true }) createdBy: string | null;
  @ApiProperty() updatedAt: string;
  @ApiProperty({ nullable: true, description: 'Written asynchronously, within about a second' }) lastUsedAt: string | null;
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
  @ApiProperty({ nullable: true }) nextCursor: string | null;
}

class UsagePointDto {
  @ApiProperty() start: string;
  @ApiProperty() requests: number;
  @ApiProperty() errors4xx: number;
  @ApiProperty() errors5xx: number;
  @ApiProperty({ nullable: true }) avgLatencyMs: number | null;
  @ApiProperty({ nullable: true }) maxLatencyMs: number | null;
}

export class KeyUsageDto {
  @ApiProperty() keyId: string;
  @ApiProperty({ enum: ['hour', 'day'] }) granularity: string;
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ type: [UsagePointDto] }) data: UsagePointDto[];
}
