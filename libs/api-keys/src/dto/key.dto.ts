import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { CHANNELS, parseCidr, SCOPES, TIERS, PageLimit } from '@hub/core';
import type { Channel, Scope, Tier } from '@hub/core';

function IsCidr(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCidr',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { each: true, message: 'each must be an IPv4 or IPv6 address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32', ...options },
      validator: { validate: (v: unknown) => typeof v === 'string' && parseCidr(v) !== null },
    });
}

/** Free metadata stays small: it is returned on every read of the key. */
function IsSmallObject(maxBytes: number): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isSmallObject',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `must be a JSON object of at most ${maxBytes} bytes` },
      validator: { validate: (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v) && JSON.stringify(v).length <= maxBytes },
    });
}

export class QuotaDto {
  @ApiProperty({ example: 5000, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000_000)
  limit: number;

  @ApiProperty({ enum: ['day', 'month'], description: 'UTC day or calendar month (UTC)' })
  @IsIn(['day', 'month'])
  period: 'day' | 'month';
}

export class LimitsDto {
  @ApiPropertyOptional({ example: 20, minimum: 1, maximum: 1_000_000, description: "Overrides the tier's requests per second" })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  burstPerSecond?: number;

  @ApiPropertyOptional({ type: QuotaDto, nullable: true, description: "Overrides the tier's quota; null means no quota" })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuotaDto)
  quota?: QuotaDto | null;
}

export class CreateKeyDto {
  @ApiProperty({ example: 'Storefront web app', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: ['live', 'test'] })
  @IsIn(['live', 'test'])
  environment: 'live' | 'test';

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['catalog:read'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes: Scope[];

  @ApiProperty({ enum: TIERS, description: 'free: 1/s, 500/day; standard: 5/s, 5,000/month; gold: 50/s, 1,000,000/month; internal: 200/s, no quota' })
  @IsIn(TIERS)
  tier: Tier;

  @ApiPropertyOptional({ type: LimitsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LimitsDto)
  limits?: LimitsDto;

  @ApiPropertyOptional({ enum: CHANNELS, isArray: true, minItems: 1, description: 'Bind the key to these channels only (absent: every channel; an empty list is refused, not read as "every")' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CHANNELS.length)
  @IsIn(CHANNELS, { each: true })
  channels?: Channel[];

  @ApiPropertyOptional({ type: [String], minItems: 1, example: ['203.0.113.0/24', '2001:db8::/32'], description: 'Client addresses allowed to use the key (any when absent; an empty list is refused, not read as "any")' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsCidr()
  allowedCidrs?: string[];

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'ISO 8601 date-time in the future' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({ example: { team: 'web' } })
  @IsOptional()
  @IsObject()
  @IsSmallObject(4096)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'storefront-next', description: 'The calling application, for dashboards' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  application?: string;
}

export class PatchKeyDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ enum: SCOPES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes?: Scope[];

  @ApiPropertyOptional({ enum: TIERS })
  @IsOptional()
  @IsIn(TIERS)
  tier?: Tier;

  @ApiPropertyOptional({ type: LimitsDto, nullable: true, description: "null: back to the tier's limits" })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LimitsDto)
  limits?: LimitsDto | null;

  @ApiPropertyOptional({ enum: CHANNELS, isArray: true, nullable: true, minItems: 1, description: 'null: every channel (an empty list is refused, not read as "every")' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CHANNELS.length)
  @IsIn(CHANNELS, { each: true })
  channels?: Channel[] | null;

  @ApiPropertyOptional({ type: [String], nullable: true, minItems: 1, description: 'null: any address (an empty list is refused, not read as "any")' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsCidr()
  allowedCidrs?: string[] | null;

  @ApiPropertyOptional({ nullable: true, description: 'ISO 8601 date-time in the future; null: never expires' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  @IsSmallObject(4096)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  application?: string;
}

export class RotateKeyDto {
  @ApiPropertyOptional({ default: 86_400, minimum: 0, maximum: 2_592_000, description: 'How long the old key keeps working' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_592_000)
  overlapSeconds?: number;

  @ApiPropertyOptional({ nullable: true, example: '2027-06-01T00:00:00Z', description: "The new key's expiry, in the future; null: never. Absent: the old key's expiresAt" })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string | null;
}

export class RevokeKeyDto {
  @ApiProperty({ example: 'leaked in a CI log', maxLength: 500 })
  @IsString()
  @Length(1, 500)
  reason: string;
}

export class ListKeysQueryDto {
  @PageLimit(200, 50)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}

/** `from` and `to` of a usage or analytics query (read with timeWindow). */
export class TimeWindowQuery {
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'ISO 8601; the default depends on the endpoint (see its description). An hour counts when its start is in [from, to).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, exclusive; default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class UsageQueryDto extends TimeWindowQuery {
  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'hour', description: 'UTC hours (default window 24 h, at most 31 days) or days (default 30 days, at most 366)' })
  @IsOptional()
  @IsIn(['hour', 'day'])
  granularity?: 'hour' | 'day';
}

export class AuditQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  keyId?: string;

  @ApiPropertyOptional({ example: 'key.revoked', description: 'key.created, key.patched, key.rotated, key.revoked, key.auth-failed, key.anomaly, ...' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  action?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 30)
  cursor?: string;

  @PageLimit(200, 50)
  limit?: number;
}
