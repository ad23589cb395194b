import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { Channel, CHANNELS, PageLimit } from '@hub/core';
import { ORDER_STATUSES, OrderStatus } from '../order-status';

export class ListOrdersQuery {
  @ApiPropertyOptional({ enum: ORDER_STATUSES, description: '`paid-out-of-stock` lists the orders to refund' })
  @IsOptional()
  @IsIn(ORDER_STATUSES as unknown as string[])
  status?: OrderStatus;

  @ApiPropertyOptional({ enum: CHANNELS })
  @IsOptional()
  @IsIn(CHANNELS as unknown as string[])
  channel?: Channel;

  @PageLimit(100, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from `nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'must be a cursor returned by a previous page' })
  cursor?: string;
}
