import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS } from '@hub/core';
import type { Channel } from '@hub/core';
import { ORDER_STATUSES } from '../order-status';
import type { OrderStatus } from '../order-status';

export class OrderLineView {
  @ApiProperty() lineId: string;
  @ApiProperty({ example: 'NS-SERUM-30ML' }) sku: string;
  @ApiProperty({ type: 'integer', example: 2 }) quantity: number;
  @ApiProperty({ example: '899.00', description: 'Unit price in major units at order time' }) unitPrice: string;
}

export class ReservationView {
  @ApiProperty({ enum: ['held', 'committed', 'released'], description: '`held` until paid or expired; `committed` once the stock is sold' })
  status: 'held' | 'committed' | 'released';

  @ApiProperty({ nullable: true, description: 'When an unpaid hold is released (storefront only)' })
  expiresAt: string | null;
}

export class RazorpayOrderView {
  @ApiProperty({ example: 'order_Nq1a2b3c4d5e6f', description: 'Pass to Razorpay Checkout as order_id' }) orderId: string;
  @ApiProperty({ type: 'integer', example: 179800, description: 'Amount in paise' }) amount: number;
  @ApiProperty({ example: 'INR' }) currency: string;
  @ApiPropertyOptional({ nullable: true, example: 'pay_Nq1a2b3c4d5e6f' }) paymentId: string | null;
}

export class OrderView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: CHANNELS }) channel: Channel;
  @ApiProperty({ nullable: true }) externalId: string | null;
  @ApiProperty({ enum: ORDER_STATUSES }) status: OrderStatus;
  @ApiProperty({ nullable: true, description: 'Why the order is in its status (e.g. the stock shortfall behind paid-out-of-stock)' })
  statusReason: string | null;
  @ApiProperty({ example: 'INR' }) currency: string;
  @ApiProperty({ example: '1798.00', description: 'Total in major units' }) amount: string;
  @ApiProperty({ type: 'integer', example: 179800, description: 'Total in minor units (paise)' }) amountMinor: number;
  @ApiProperty({ type: [OrderLineView] }) items: OrderLineView[];
  @ApiProperty({ type: ReservationView }) reservation: ReservationView;
  @ApiProperty({ type: RazorpayOrderView, nullable: true, description: 'Storefront orders only' }) razorpay: RazorpayOrderView | null;
  @ApiProperty({ nullable: true, type: Object }) customer: Record<string, string> | null;
  @ApiProperty({ nullable: true }) paidAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class OrderPage {
  @ApiProperty({ type: [OrderView] }) data: OrderView[];
  @ApiProperty({ nullable: true }) nextCursor: string | null;
}
