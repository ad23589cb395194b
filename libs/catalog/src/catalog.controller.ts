import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblem, AuthContext, CurrentKey, CurrentOrigin, RequestOrigin, notFound, RequireScope } from '@hub/core';
import { CatalogService } from './catalog.service';
import { SKU_PATTERN } from './constants';
import {
  CreateProductDto,
  CreateReviewDto,
  ListProductsQueryDto,
  ProductChannelsView,
  ProductPage,
  ProductView,
  ReviewsQueryDto,
  ReviewsView,
  UpdateProductDto,
} from './dto/product.dto';

/**
 * A SKU in the path that no product could have is an unknown SKU: 404, as CONTRACT answers for one
 * (a body's `sku` is validated as a field instead). Checked before the database sees it.
 */
function checkSku(sku: string): string {
  if (!SKU_PATTERN.test(sku)) throw notFound(`Product ${sku}`);
  return sku;
}

const SKU_PARAM = { name: 'sku', description: `Product SKU (${SKU_PATTERN.source})` };

@ApiTags('catalog')
@Controller('v1/products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @RequireScope('catalog:write')
  @ApiOperation({
    summary: 'Create a product and publish it everywhere',
    description:
      'Stores the product (price exactly, as a decimal string), sets its initial stock, and enqueues one publish job per channel ' +
      '(default: every channel; a channel-bound key defaults to its own channels). Images are uploaded once to Cloudinary with one ' +
      'eager transform per channel. Follow progress at `GET /v1/products/:sku/channels`. 409 `duplicate-sku` if the SKU exists ' +
      '(also for a channel-bound key when the product is on channels it does not see: SKUs are unique across the catalog).',
  })
  @ApiCreatedResponse({ type: ProductView })
  @ApiProblem(403, 'channel-not-allowed', 'the key is bound to channels and `channels` names one it is not bound to')
  @ApiProblem(409, 'duplicate-sku', 'a product with this SKU exists')
  @ApiProblem(422, 'below-reserved', 'a deleted SKU is re-created with less `stock` than its open orders still hold')
  create(@Body() body: CreateProductDto, @CurrentKey() key: AuthContext | undefined, @CurrentOrigin() origin: RequestOrigin): Promise<ProductView> {
    return this.catalog.create(body, key, origin);
  }

  @Get()
  @RequireScope('catalog:read')
  @ApiOperation({ summary: 'List products', description: 'Ordered by SKU; pass `nextCursor` back as `cursor`. A channel-bound key sees only products published to its channels.' })
  @ApiOkResponse({ type: ProductPage })
  list(@Query() q: ListProductsQueryDto, @CurrentKey() key?: AuthContext): Promise<ProductPage> {
    return this.catalog.list(q.cursor, q.limit ?? 20, key);
  }

  @Get(':sku')
  @RequireScope('catalog:read')
  @ApiParam(SKU_PARAM)
  @ApiOperation({ summary: 'Get a product' })
  @ApiOkResponse({ type: ProductView })
  get(@Param('sku') sku: string, @CurrentKey() key?: AuthContext): Promise<ProductView> {
    return this.catalog.get(checkSku(sku), key);
  }

  @Patch(':sku')
  @RequireScope('catalog:write')
  @ApiParam(SKU_PARAM)
  @ApiOperation({
    summary: 'Change a product',
    description:
      'Any field but `sku` and `stock` (stock: `PUT /v1/inventory/:sku`). Republishes to every channel; channels removed from `channels` are delisted. ' +
      'A body that changes nothing (empty, or every value equal to the stored one) answers 200 with the product as it is: no new version, nothing republished.',
  })
  @ApiOkResponse({ type: ProductView })
  @ApiProblem(403, 'channel-not-allowed', 'the key is bound to channels and the change touches a channel it is not bound to')
  update(@Param('sku') sku: string, @Body() body: UpdateProductDto, @CurrentKey() key: AuthContext | undefined, @CurrentOrigin() origin: RequestOrigin): Promise<ProductView> {
    return this.catalog.update(checkSku(sku), body, key, origin);
  }

  @Delete(':sku')
  @HttpCode(204)
  @RequireScope('catalog:write')
  @ApiParam(SKU_PARAM)
  @ApiOperation({ summary: 'Delete a product', description: 'Hidden at once; delisted from every channel by background jobs.' })
  @ApiNoContentResponse()
  @ApiProblem(403, 'channel-not-allowed', 'the key is bound to channels and the product is listed on a channel it is not bound to')
  async remove(@Param('sku') sku: string, @CurrentKey() key: AuthContext | undefined, @CurrentOrigin() origin: RequestOrigin): Promise<void> {
    await this.catalog.remove(checkSku(sku), key, origin);
  }

  @Get(':sku/channels')
  @RequireScope('catalog:read')
  @ApiParam(SKU_PARAM)
  @ApiOperation({ summary: 'Where the product is listed', description: 'Per channel: status (pending, published, failed, paused), external id, the image variant, last sync and last error.' })
  @ApiOkResponse({ type: ProductChannelsView })
  channels(@Param('sku') sku: string, @CurrentKey() key?: AuthContext): Promise<ProductChannelsView> {
    return this.catalog.channels(checkSku(sku), key);
  }

  @Get(':sku/reviews')
  @RequireScope('catalog:read')
  @ApiParam(SKU_PARAM)
  @ApiOperation({ summary: 'Reviews and rating', description: 'Pulled from Nykaa and the storefront by a repeating job; newest first.' })
  @ApiOkResponse({ type: ReviewsView })
  reviews(@Param('sku') sku: string, @Query() q: ReviewsQueryDto, @CurrentKey() key?: AuthContext): Promise<ReviewsView> {
    return this.catalog.reviews(checkSku(sku), q.limit ?? 20, key);
  }

  @Post(':sku/reviews')
  @RequireScope('catalog:write')
  @ApiParam(SKU_PARAM)
  @ApiOperation({ summary: 'Record a storefront review', description: "For NovaSkin's website (a `storefront` key); counted in the rating by the next review pull, which is queued at once." })
  @ApiCreatedResponse()
  @ApiProblem(403, 'channel-not-allowed', 'the key is bound to channels, not to `storefront`')
  addReview(@Param('sku') sku: string, @Body() body: CreateReviewDto, @CurrentKey() key?: AuthContext): Promise<{ externalId: string }> {
    return this.catalog.addStorefrontReview(checkSku(sku), body, key);
  }
}
