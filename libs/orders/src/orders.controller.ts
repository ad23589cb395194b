import { ArgumentMetadata, Body, Controller, Get, Headers, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem, AuthContext, CurrentKey, CurrentOrigin, ProblemException, RequestOrigin, RequireScope } from '@hub/core';
import type { FastifyReply } from 'fastify';
import { CancelOrderDto, CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQuery } from './dto/list-orders.query';
import { OrderPage, OrderView } from './dto/order.view';
import { OrdersService } from './orders.service';

/**
 * An order id: a UUID in any case, passed on in its canonical lower case (the form the hub issues
 * and stores as text elsewhere, e.g. in stock reservations). Anything else is an unknown order.
 */
class OrderIdPipe extends ParseUUIDPipe {
  constructor() {
    super({ exceptionFactory: () => new ProblemException(404, 'not-found', 'No order has this id (order ids are UUIDs)') });
  }

  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    // super refuses anything but a UUID string (the factory above throws), so a string comes back.
    return String(await super.transform(value, metadata)).toLowerCase();
  }
}
const uuid = new OrderIdPipe();

@ApiTags('orders')
@Controller('v1/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @RequireScope('orders:write')
  @ApiOperation({
    summary: 'Create an order and reserve its stock',
    description:
      'Storefront: stock is held for ORDER_RESERVATION_TTL_SECONDS (default 15 min) and a Razorpay order is created; pass ' +
      '`razorpay.orderId` to Razorpay Checkout. Amazon/Nykaa (keys bound to that channel): the order is already paid and its stock ' +
      'is taken at once. 409 `insufficient-stock` when any line cannot be reserved (nothing is reserved then). A retry with the ' +
      'same Idempotency-Key and body returns the first response; a different body gets 422. For a key bound to channels, a SKU ' +
      "whose product is not sold on the order's channel is refused like an unknown SKU (422 `unknown-sku`).",
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Unique per order attempt, e.g. a UUID' })
  @ApiCreatedResponse({ type: OrderView })
  @ApiProblem(403, 'channel-not-allowed', "the key is bound to channels and the order's `channel` is not one of them")
  @ApiProblem(409, 'insufficient-stock', 'a line cannot be reserved (nothing is reserved then)')
  @ApiProblem(409, 'duplicate-order', 'an order with this `externalId` exists on the channel')
  @ApiProblem(422, 'unknown-sku', "no product has an item's SKU (for a channel-bound key: none sold on the order's channel)")
  @ApiProblem(422, 'mixed-currencies', 'the items are priced in different currencies')
  @ApiProblem(422, 'amount-too-large', 'the total is more paise than one order can carry')
  @ApiProblem(422, 'payment-order-rejected', 'Razorpay refused to create the payment order')
  @ApiProblem(503, 'payment-provider-unavailable', 'Razorpay cannot be reached or has no usable credential; nothing was reserved, retry with the same Idempotency-Key', {
    retryAfter: true,
  })
  async create(
    @CurrentKey() auth: AuthContext | undefined,
    @Headers('idempotency-key') key: string | undefined,
    @Body() dto: CreateOrderDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentOrigin() origin: RequestOrigin,
  ): Promise<OrderView> {
    const result = await this.orders.create(auth, key, dto, origin);
    reply.status(result.status);
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return result.body;
  }

  @Get()
  @RequireScope('orders:read')
  @ApiOperation({ summary: 'List orders, newest first', description: '`?status=paid-out-of-stock` lists the paid orders whose stock was gone: refund them.' })
  @ApiOkResponse({ type: OrderPage })
  @ApiProblem(403, 'channel-not-allowed', '`channel` is not one of the channels the key is bound to')
  list(@CurrentKey() auth: AuthContext | undefined, @Query() q: ListOrdersQuery): Promise<OrderPage> {
    return this.orders.list(auth, q);
  }

  @Get(':id')
  @RequireScope('orders:read')
  @ApiOperation({ summary: 'One order with its lines, reservation and payment state' })
  @ApiOkResponse({ type: OrderView })
  get(@CurrentKey() auth: AuthContext | undefined, @Param('id', uuid) id: string): Promise<OrderView> {
    return this.orders.get(auth, id);
  }

  @Post(':id/cancel')
  @RequireScope('orders:write')
  @ApiOperation({ summary: 'Cancel an unpaid order and release its stock', description: '409 `order-not-cancellable` once paid (its `orderStatus` says why). Cancelling twice is harmless.' })
  @ApiOkResponse({ type: OrderView })
  @ApiProblem(409, 'order-not-cancellable', 'the order is no longer waiting for payment (`orderStatus` says what it is; refund a paid order instead)')
  async cancel(
    @CurrentKey() auth: AuthContext | undefined,
    @Param('id', uuid) id: string,
    @Body() dto: CancelOrderDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentOrigin() origin: RequestOrigin,
  ): Promise<OrderView> {
    reply.status(200);
    return this.orders.cancel(auth, id, dto?.reason, origin);
  }
}
