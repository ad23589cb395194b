import { ApiPropertyOptional } from '@nestjs/swagger';
import { PageLimit } from '@hub/core';
import { IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';

export class AnalyticsWindowQuery {
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'ISO 8601; default: 7 days before `to`. An hour counts when its start is in [from, to).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, exclusive; default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class KeysAnalyticsQuery extends AnalyticsWindowQuery {
  @PageLimit(200, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (the same cursors as GET /v1/keys)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}

export class UsageAnalyticsQuery extends AnalyticsWindowQuery {
  @ApiPropertyOptional({ example: 'a1B2c3D4e5F6', description: 'One key; default: every key together' })
  @IsOptional()
  @Matches(/^[0-9A-Za-z]{12}$/, { message: 'must be a keyId (12 base62 characters)' })
  keyId?: string;

  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'hour', description: 'UTC hours or days. Default window: 24 h (hour) or 30 days (day) before `to`' })
  @IsOptional()
  @IsIn(['hour', 'day'])
  granularity?: 'hour' | 'day';
}
