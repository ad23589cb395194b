import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidationArguments,
  ValidateIf,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { CHANNELS, CIDR_RULE, cidrInputProblem, parseTimestamp, propertyRule, SCOPES, TIERS, PageLimit, Trimmed } from '@hub/core';
import type { Channel, Scope, Tier } from '@hub/core';
import { METADATA_MAX_BYTES, REVOKE_REASON_MAX, REVOKE_REASON_RULE } from '../constants';

/** The message of every date a key or audit route reads: the one toDate (@hub/core) answers with. */
export const TIMESTAMP_RULE = 'must be an ISO 8601 calendar date or date-time from year 0001 to 9999, e.g. 2026-01-31T00:00:00Z';

/**
 * A date as parseTimestamp reads it, so the DTO and the controller's toDate cannot disagree:
 * IsISO8601 refused years 0001-0099 and a lowercase `t`/`z` that parseTimestamp takes, took week
 * and ordinal dates it refuses, and said so in different words.
 */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return propertyRule('isTimestamp', TIMESTAMP_RULE, (v) => typeof v === 'string' && parseTimestamp(v) !== null, options);
}

/**
 * IsOptional skips null as well as absence; a field whose contract has no null (it would reach
 * Postgres as one, or mean nothing) is validated, and so refused, when it is null.
 */
function IsOptionalNotNull(): PropertyDecorator {
  return ValidateIf((_: unknown, v: unknown) => v !== undefined);
}

function IsCidr(options?: ValidationOptions): PropertyDecorator {
  // With `each`, the message sees the whole list: name the first entry refused and why.
  const message = ({ value }: ValidationArguments) => {
    for (const [i, c] of (Array.isArray(value) ? value : [value]).entries()) {
      const problem = cidrInputProblem(c);
      if (problem) return `entry ${i} ${problem}`;
    }
    return CIDR_RULE;
  };
  return propertyRule('isCidr', message, (v) => cidrInputProblem(v) === null, { each: true, ...options });
}

/**
 * Free metadata stays small: it is returned on every read of the key. Measured in UTF-8 bytes, as
 * stored and sent; whether it is an object at all is IsObject's to say.
 */
function IsSmallObject(maxBytes: number): PropertyDecorator {
  return propertyRule(
    'isSmallObject',
    `must be a JSON object of at most ${maxBytes} bytes (UTF-8)`,
    (v) => v === null || typeof v !== 'object' || Buffer.byteLength(JSON.stringify(v), 'utf8') <= maxBytes,
  );
}

export class QuotaDto {
  @ApiProperty({ type: 'integer', example: 5000, minimum: 1, maximum: 1_000_000_000_000 })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000_000)
  limit: number;

  @ApiProperty({ enum: ['day', 'month'], description: 'UTC day or calendar month (UTC)' })
  @IsIn(['day', 'month'])
  period: 'day' | 'month';
}

export class LimitsDto {
  @ApiPropertyOptional({ type: 'integer', example: 20, minimum: 1, maximum: 1_000_000, description: "Overrides the tier's requests per second" })
  @IsOptionalNotNull()
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

  @ApiPropertyOptional({ type: String, format: 'date-time', example: '2027-01-01T00:00:00Z', description: 'In the future; ISO 8601 date or date-time (UTC when no offset is given)' })
  @IsOptional()
  @IsTimestamp()
  expiresAt?: string;

  @ApiPropertyOptional({ example: { team: 'web' }, description: 'A JSON object of at most 4096 bytes (UTF-8)' })
  @IsOptionalNotNull()
  @IsObject()
  @IsSmallObject(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'storefront-next', description: 'The calling application, for dashboards' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  application?: string;
}

export class PatchKeyDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ enum: SCOPES, isArray: true })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes?: Scope[];

  @ApiPropertyOptional({ enum: TIERS })
  @IsOptionalNotNull()
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

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: '2027-01-01T00:00:00Z', description: 'In the future; ISO 8601 date or date-time (UTC when no offset is given); null: never expires' })
  @IsOptional()
  @IsTimestamp()
  expiresAt?: string | null;

  @ApiPropertyOptional({ description: 'Replaces the metadata: a JSON object of at most 4096 bytes (UTF-8); `{}` clears it (null is refused)' })
  @IsOptionalNotNull()
  @IsObject()
  @IsSmallObject(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, description: 'null: none' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  application?: string | null;
}

export class RotateKeyDto {
  @ApiPropertyOptional({ type: 'integer', default: 86_400, minimum: 0, maximum: 2_592_000, description: 'How long the old key keeps working, in seconds' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_592_000)
  overlapSeconds?: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2027-06-01T00:00:00Z',
    description: "The new key's expiry, in the future (ISO 8601 date or date-time, UTC when no offset is given); null: never. Absent: the old key's expiresAt",
  })
  @IsOptional()
  @IsTimestamp()
  expiresAt?: string | null;
}

export class RevokeKeyDto {
  @ApiProperty({ example: 'leaked in a CI log', minLength: 1, maxLength: REVOKE_REASON_MAX, description: 'Kept as the revocation\'s record (trimmed; a later revoke keeps the first). Not blank.' })
  @Trimmed()
  @IsString()
  @Length(1, REVOKE_REASON_MAX, { message: REVOKE_REASON_RULE })
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
  @ApiPropertyOptional({
    example: '2026-11-01T00:00:00Z',
    description: 'ISO 8601 date or date-time (UTC when no offset is given), before `to`; the default depends on the endpoint (see its description). An hour counts when its start is in [from, to).',
  })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 date or date-time, exclusive; default: now' })
  @IsOptional()
  @IsTimestamp()
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

  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'ISO 8601 date or date-time (UTC when no offset is given), inclusive; before `to`' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 date or date-time, exclusive' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 30)
  cursor?: string;

  @PageLimit(200, 50)
  limit?: number;
}
