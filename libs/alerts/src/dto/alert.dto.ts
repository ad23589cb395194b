import { PageLimit } from '@hub/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ALERT_KINDS, ALERT_SEVERITIES } from '../constants';

export class ListAlertsQuery {
  @ApiPropertyOptional({ enum: ['open', 'resolved'], description: 'open: not yet resolved (acknowledged ones included)' })
  @IsOptional()
  @IsIn(['open', 'resolved'])
  status?: 'open' | 'resolved';

  @ApiPropertyOptional({ enum: ALERT_KINDS })
  @IsOptional()
  @IsIn(ALERT_KINDS)
  kind?: string;

  @PageLimit(500, 100)
  limit?: number;
}

export class AlertDto {
  @ApiProperty({ example: '42' }) id: string;
  @ApiProperty({ enum: ALERT_KINDS }) kind: string;
  @ApiProperty({ example: 'amazon', description: 'What the alert is about: a partner, a channel or an API keyId' }) subject: string;
  @ApiProperty({ enum: ALERT_SEVERITIES }) severity: string;
  @ApiProperty({ enum: ['open', 'resolved'] }) status: string;
  @ApiProperty() message: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) openedAt: string;
  @ApiProperty({ format: 'date-time' }) lastSeenAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) acknowledgedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'keyId that acknowledged it' }) acknowledgedBy: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) resolvedAt: string | null;
}

export class AlertListDto {
  @ApiProperty({ type: [AlertDto] }) data: AlertDto[];
}
