import { ApiPropertyOptional } from '@nestjs/swagger';
import { PageLimit } from '@hub/core';
import { TimeWindowQuery, UsageQueryDto } from '@hub/api-keys';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class KeysAnalyticsQuery extends TimeWindowQuery {
  @PageLimit(200, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (the same cursors as GET /v1/keys)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}

export class UsageAnalyticsQuery extends UsageQueryDto {
  @ApiPropertyOptional({ example: 'a1B2c3D4e5F6', description: 'One key; default: every key together' })
  @IsOptional()
  @Matches(/^[0-9A-Za-z]{12}$/, { message: 'must be a keyId (12 base62 characters)' })
  keyId?: string;
}
