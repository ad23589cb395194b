import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, Channel, NotBlank, PageLimit, Trimmed } from '@hub/core';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { PRODUCT_CHANNEL_STATUSES, SKU_PATTERN, SUPPORTED_CURRENCIES } from '../constants';
import { CATEGORY_MAX, DESCRIPTION_MAX, MaxUtf16Length, NAME_MAX } from './listing-text';
import { IsPrice, PRICE_LIMIT_TEXT } from './price';

const LENGTH_DOC = 'counted in UTF-16 code units, as Amazon and Nykaa count (most emoji count as 2)';
const NAME_DOC = `Trimmed; not blank; at most ${NAME_MAX} characters, ${LENGTH_DOC}.`;
const CATEGORY_DOC = `Trimmed; not blank; at most ${CATEGORY_MAX} characters, ${LENGTH_DOC}.`;
const DESCRIPTION_DOC = `Stored as sent; may be empty; at most ${DESCRIPTION_MAX} characters, ${LENGTH_DOC}.`;

const IMAGE_URL: NonNullable<Parameters<typeof IsUrl>[0]> = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

export class CreateProductDto {
  @ApiProperty({ example: 'NS-SERUM-VITC-30', pattern: SKU_PATTERN.source, description: 'Upper-case letters and digits, then `.`, `_` or `-`; 3 to 64 characters.' })
  @IsString()
  @Matches(SKU_PATTERN, { message: `must match ${SKU_PATTERN.source} (upper-case letters, digits, '.', '_' or '-'; 3 to 64 characters)` })
  sku: string;

  @ApiProperty({ example: 'Vitamin C Brightening Serum 30 ml', maxLength: NAME_MAX, description: NAME_DOC })
  @Trimmed()
  @IsString()
  @NotBlank()
  @MaxUtf16Length(NAME_MAX)
  name: string;

  @ApiProperty({ oneOf: [{ type: 'string', example: '899.00' }, { type: 'number', example: 899 }], description: `Major units, at most 2 decimals, not negative, ${PRICE_LIMIT_TEXT}. Stored exactly; returned as a decimal string.` })
  @IsPrice()
  price: string | number;

  @ApiProperty({ enum: SUPPORTED_CURRENCIES, example: 'INR' })
  @IsIn(SUPPORTED_CURRENCIES, { message: `must be one of ${SUPPORTED_CURRENCIES.join(', ')}` })
  currency: string;

  @ApiProperty({ example: 120, description: 'Initial on-hand stock (the inventory takes it from here; change it with PUT /v1/inventory/:sku).' })
  // A count, or a string of digits (spreadsheet exports): not Number()'s reading of "", " ", true or "0x10".
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  stock: number;

  @ApiProperty({ type: [String], minItems: 1, maxItems: 10, example: ['https://images.novaskin.example/serum-vitc.jpg'], description: 'http(s) URLs; the first is the main image.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsUrl(IMAGE_URL, { each: true, message: 'each image must be an http(s) URL' })
  @MaxLength(2000, { each: true })
  images: string[];

  @ApiProperty({ example: 'serum', maxLength: CATEGORY_MAX, description: CATEGORY_DOC })
  @Trimmed()
  @IsString()
  @NotBlank()
  @MaxUtf16Length(CATEGORY_MAX)
  category: string;

  @ApiProperty({ example: 'A lightweight serum with 15% vitamin C.', maxLength: DESCRIPTION_MAX, description: DESCRIPTION_DOC })
  @IsString()
  @MaxUtf16Length(DESCRIPTION_MAX)
  description: string;

  @ApiPropertyOptional({ enum: CHANNELS, isArray: true, description: 'Where to publish; default all channels.' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(CHANNELS, { each: true, message: `each channel must be one of ${CHANNELS.join(', ')}` })
  channels?: Channel[];
}

/**
 * A PATCH field: absent keeps the current value. Unlike @IsOptional(), null is validated (and so
 * refused): no field of a product can be unset, and null silently keeping the value would hide a
 * client's bug.
 */
const UnlessAbsent = () => ValidateIf((_: object, v: unknown) => v !== undefined);

/** Every field but `sku` and `stock` (stock changes go through /v1/inventory). */
export class UpdateProductDto {
  @ApiPropertyOptional({ maxLength: NAME_MAX, description: NAME_DOC })
  @UnlessAbsent()
  @Trimmed()
  @IsString()
  @NotBlank()
  @MaxUtf16Length(NAME_MAX)
  name?: string;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }], description: `As on create: ${PRICE_LIMIT_TEXT}.` })
  @UnlessAbsent()
  @IsPrice()
  price?: string | number;
  @ApiPropertyOptional({ enum: SUPPORTED_CURRENCIES })
  @UnlessAbsent()
  @IsIn(SUPPORTED_CURRENCIES, { message: `must be one of ${SUPPORTED_CURRENCIES.join(', ')}` })
  currency?: string;
  @ApiPropertyOptional({ type: [String] })
  @UnlessAbsent()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsUrl(IMAGE_URL, { each: true, message: 'each image must be an http(s) URL' })
  @MaxLength(2000, { each: true })
  images?: string[];
  @ApiPropertyOptional({ maxLength: CATEGORY_MAX, description: CATEGORY_DOC })
  @UnlessAbsent()
  @Trimmed()
  @IsString()
  @NotBlank()
  @MaxUtf16Length(CATEGORY_MAX)
  category?: string;
  @ApiPropertyOptional({ maxLength: DESCRIPTION_MAX, description: `${DESCRIPTION_DOC} An empty string clears it.` })
  @UnlessAbsent()
  @IsString()
  @MaxUtf16Length(DESCRIPTION_MAX)
  description?: string;
  @ApiPropertyOptional({ enum: CHANNELS, isArray: true, description: 'Channels removed here are delisted; added ones are published.' })
  @UnlessAbsent()
  @IsArray()
  @ArrayUnique()
  @IsIn(CHANNELS, { each: true, message: `each channel must be one of ${CHANNELS.join(', ')}` })
  channels?: Channel[];
}

export class ListProductsQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from `nextCursor`.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @PageLimit(100, 20)
  limit?: number;
}

export class ReviewsQueryDto {
  @PageLimit(100, 20)
  limit?: number;
}

export class CreateReviewDto {
  @ApiProperty({ minimum: 1, maximum: 5 }) @IsInt() @Min(1) @Max(5) rating: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) title?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(5000) body?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) author?: string;
}

export class RatingView {
  @ApiProperty({ nullable: true, example: '4.50', type: String }) average: string | null;
  @ApiProperty({ type: 'integer' }) count: number;
}

export class ProductView {
  @ApiProperty() sku: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty() category: string;
  @ApiProperty({ example: '899.00' }) price: string;
  @ApiProperty({ example: 'INR' }) currency: string;
  @ApiProperty({ type: [String] }) images: string[];
  @ApiProperty({ enum: CHANNELS, isArray: true }) channels: Channel[];
  @ApiProperty({ type: 'integer' }) version: number;
  @ApiProperty({ type: RatingView }) rating: RatingView;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ProductPage {
  @ApiProperty({ type: [ProductView] }) data: ProductView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page.' }) nextCursor: string | null;
}

export class ProductChannelView {
  @ApiProperty({ enum: CHANNELS }) channel: Channel;
  @ApiProperty({ enum: PRODUCT_CHANNEL_STATUSES }) status: string;
  @ApiProperty({ nullable: true, type: String }) externalId: string | null;
  @ApiProperty({ nullable: true, type: String, description: "This channel's image variant." }) imageUrl: string | null;
  @ApiProperty({ nullable: true, type: String }) lastSyncedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ description: 'A delist is outstanding.' }) delisting: boolean;
}

export class ProductChannelsView {
  @ApiProperty() sku: string;
  @ApiProperty({ type: [ProductChannelView] }) channels: ProductChannelView[];
}

export class ReviewView {
  @ApiProperty({ enum: CHANNELS }) channel: string;
  @ApiProperty() externalId: string;
  @ApiProperty() rating: number;
  @ApiProperty({ nullable: true, type: String }) title: string | null;
  @ApiProperty({ nullable: true, type: String }) body: string | null;
  @ApiProperty({ nullable: true, type: String }) author: string | null;
  @ApiProperty() createdAt: string;
}

export class ReviewsView {
  @ApiProperty() sku: string;
  @ApiProperty({ type: RatingView }) rating: RatingView;
  @ApiProperty({ type: [ReviewView] }) reviews: ReviewView[];
}
