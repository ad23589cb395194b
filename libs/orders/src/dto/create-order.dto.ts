import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Channel, CHANNELS } from '@hub/core';
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '../constants';

export class OrderItemDto {
  @ApiProperty({ example: 'NS-SERUM-30ML' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  sku: string;

  @ApiProperty({ type: 'integer', example: 2, minimum: 1, maximum: MAX_LINE_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity: number;
}

export class CustomerDto {
  @ApiPropertyOptional({ example: 'Asha Rao' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ example: 'asha@example.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: '+919876543210' })
  @IsOptional()
  @Matches(/^\+?[0-9]{6,15}$/, { message: 'must be a phone number of 6 to 15 digits, optionally starting with +' })
  phone?: string;
}

export class CreateOrderDto {
  @ApiProperty({ enum: CHANNELS, description: 'Where the order was placed. Amazon and Nykaa orders arrive paid and take stock at once.' })
  @IsIn(CHANNELS as unknown as string[])
  channel: Channel;

  @ApiPropertyOptional({ example: '402-1234567-1234567', description: "The channel's own order id; unique per channel" })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  externalId?: string;

  @ApiProperty({ type: [OrderItemDto], minItems: 1, maxItems: MAX_ORDER_LINES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items: OrderItemDto[];

  @ApiPropertyOptional({ type: CustomerDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CustomerDto)
  customer?: CustomerDto;
}

export class CancelOrderDto {
  @ApiPropertyOptional({ example: 'customer asked', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
