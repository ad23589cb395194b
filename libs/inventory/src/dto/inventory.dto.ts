import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, NotEquals } from 'class-validator';
import { CHANNELS, NotBlank, PageLimit } from '@hub/core';
import { MAX_QUANTITY } from '../inventory.service';

export class SetStockDto {
  @ApiProperty({ description: 'Absolute units on hand (a stocktake). Cannot be below the units reserved for open orders.', minimum: 0, maximum: MAX_QUANTITY, example: 120 })
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  onHand: number;
}

export class AdjustStockDto {
  @ApiProperty({ description: 'Units to add (positive) or remove (negative). On-hand may not fall below reserved.', example: -3 })
  @IsInt()
  @NotEquals(0)
  @Min(-MAX_QUANTITY)
  @Max(MAX_QUANTITY)
  delta: number;

  @ApiProperty({ description: 'Why, for the ledger (e.g. "damaged in transit", "delivery PO-1182"); not blank. Stored as sent.', maxLength: 500, example: 'damaged in transit' })
  @IsString()
  // The ledger's only account of why stock moved: whitespace says as little as nothing.
  @NotBlank()
  @MaxLength(500)
  reason: string;
}

export class MovementsQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  cursor?: string;

  @PageLimit(200, 50)
  limit?: number;
}

export class ChannelStockView {
  @ApiProperty({ enum: CHANNELS })
  channel: string;

  @ApiProperty({ type: 'integer', description: 'What the channel should show now under its allocation rule (never above available).' })
  allocatedQuantity: number;

  @ApiProperty({ nullable: true, type: 'integer', description: 'The quantity the channel last confirmed.' })
  lastConfirmedQuantity: number | null;

  @ApiProperty({ enum: ['pending', 'synced', 'retrying', 'failed', 'paused'] })
  state: string;

  @ApiProperty({ nullable: true, type: String })
  lastError: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  lastSyncedAt: string | null;
}

export class StockView {
  @ApiProperty({ example: 'NS-VITC-30' })
  sku: string;

  @ApiProperty({ type: 'integer', description: 'Units physically in stock, including reserved ones.' })
  onHand: number;

  @ApiProperty({ type: 'integer', description: 'Units held for open orders.' })
  reserved: number;

  @ApiProperty({ type: 'integer', description: 'onHand - reserved; never below zero.' })
  available: number;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ type: [ChannelStockView], description: 'Per channel the SKU is published on.' })
  channels: ChannelStockView[];
}

export class MovementView {
  @ApiProperty() id: string;
  @ApiProperty() sku: string;
  @ApiProperty({ enum: ['set', 'adjustment', 'reservation', 'commit', 'release', 'sale'] }) kind: string;
  @ApiProperty({ type: 'integer' }) onHandDelta: number;
  @ApiProperty({ type: 'integer' }) reservedDelta: number;
  @ApiProperty({ type: 'integer' }) onHandAfter: number;
  @ApiProperty({ type: 'integer' }) reservedAfter: number;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ nullable: true, type: String }) actorKeyId: string | null;
  @ApiProperty({ nullable: true, type: String }) orderId: string | null;
  @ApiProperty({ nullable: true, type: String }) orderLineId: string | null;
  @ApiProperty({ nullable: true, type: String }) channel: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class MovementPage {
  @ApiProperty({ type: [MovementView] }) data: MovementView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
