import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblem, AuthContext, canTouchChannel, CurrentKey, IdempotencyService, notFound, RequireScope, validationFailed } from '@hub/core';
import type { FastifyReply } from 'fastify';
import { AdjustStockDto, MovementPage, MovementsQueryDto, SetStockDto, StockView } from './dto/inventory.dto';
import { InventoryService, MAX_QUANTITY, StockLevel } from './inventory.service';

const BOUND_KEYS = ' A key bound to channels reaches only SKUs listed on one of them; any other SKU is 404 `not-found`, as if it did not exist.';

function checkSku(sku: string): string {
  if (!sku || sku.length > 200) throw validationFailed([{ field: 'sku', message: 'must be 1 to 200 characters' }]);
  return sku;
}

@ApiTags('inventory')
@ApiProblem(400, 'validation-failed', '`sku` is longer than 200 characters')
@ApiProblem(404, 'not-found', 'no item has this SKU, or (a key bound to channels) it is listed on none of them')
@Controller('v1/inventory')
export class InventoryController {
  constructor(
    private readonly inventory: InventoryService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Get(':sku')
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'Stock of a SKU', description: 'On-hand, reserved and available, and per channel the quantity the channel last confirmed and its sync state.' + BOUND_KEYS })
  @ApiOkResponse({ type: StockView })
  async get(@Param('sku') sku: string, @CurrentKey() key?: AuthContext): Promise<StockView> {
    return this.view(checkSku(sku), key);
  }

  @Put(':sku')
  @RequireScope('inventory:write')
  @ApiOperation({ summary: 'Set the absolute on-hand count', description: 'For stocktakes. Refused (422 `below-reserved`) if it would drop below the units reserved for open orders. Every channel is updated within seconds.' + BOUND_KEYS })
  @ApiOkResponse({ type: StockView })
  @ApiProblem(422, 'below-reserved', '`onHand` is below the units reserved for open orders (`reserved`)')
  async set(@Param('sku') sku: string, @Body() body: SetStockDto, @CurrentKey() key?: AuthContext): Promise<StockView> {
    // setOnHand applies the channel binding itself (404 for a SKU the key may not reach) and returns the new level.
    const level = await this.inventory.setOnHand(checkSku(sku), body.onHand, key?.keyId ?? null, undefined, 'set via API', key?.channels);
    return this.view(sku, key, level);
  }

  @Post(':sku/adjustments')
  @HttpCode(201)
  @RequireScope('inventory:write')
  @ApiOperation({
    summary: 'Adjust on-hand by a delta',
    description: 'Requires `Idempotency-Key`: a retry with the same key and body returns the first response; the same key with another body is 422 `idempotency-key-reused`. Refused (422 `invalid-adjustment`, naming the bound) if on-hand would fall below reserved or rise above 1000000000.' + BOUND_KEYS,
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Unique per adjustment, e.g. a UUID' })
  @ApiResponse({ status: 201, type: StockView })
  @ApiProblem(422, 'invalid-adjustment', `on-hand would fall below reserved or rise above ${MAX_QUANTITY} (names the bound)`)
  async adjust(
    @Param('sku') sku: string,
    @Body() body: AdjustStockDto,
    @Headers('idempotency-key') idemKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentKey() key?: AuthContext,
  ): Promise<unknown> {
    checkSku(sku);
    const result = await this.idempotency.execute(
      { actor: key?.keyId ?? 'anonymous', scope: `inventory.adjust:${sku}`, key: idemKey, fingerprint: { sku, delta: body.delta, reason: body.reason } },
      async (m) => {
        const level = await this.inventory.adjust(sku, body.delta, body.reason, key?.keyId ?? null, m, key?.channels);
        return { status: 201, body: { ...level, delta: body.delta, reason: body.reason } };
      },
    );
    reply.status(result.status);
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return result.body;
  }

  @Get(':sku/movements')
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'The ledger of a SKU', description: 'Every stock change, newest first, with kind, reason, acting key and order line. Paginate with `cursor`.' + BOUND_KEYS })
  @ApiOkResponse({ type: MovementPage })
  async movements(@Param('sku') sku: string, @Query() q: MovementsQueryDto, @CurrentKey() key?: AuthContext): Promise<MovementPage> {
    if (!(await this.inventory.getLevel(checkSku(sku), undefined, key?.channels))) throw notFound(`SKU ${sku}`);
    return this.inventory.movements(sku, q.cursor, q.limit ?? 50);
  }

  /** The stock view of `sku`; `known` is a level the caller already has (read through the same channel binding). */
  private async view(sku: string, key: AuthContext | undefined, known?: StockLevel): Promise<StockView> {
    // A key bound to channels reaches only SKUs on one of them; any other answers like an unknown SKU.
    const level = known ?? (await this.inventory.getLevel(sku, undefined, key?.channels));
    if (!level) throw notFound(`SKU ${sku}`);
    // A key bound to channels sees only those channels.
    const channels = (await this.inventory.channelStock(sku)).filter((c) => canTouchChannel(key, c.channel));
    return { ...level, channels };
  }
}
