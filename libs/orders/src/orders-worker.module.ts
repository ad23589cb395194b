import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { PaymentsWorkerModule } from '@hub/payments';
import { ORDERS_QUEUE } from './constants';
import { OrdersProcessor } from './expiry/reservation-expiry.processor';
import { ReservationExpiry } from './expiry/reservation-expiry.service';
import { ReservationExpirySchedules } from './expiry/reservation-expiry.schedules';
import { OrderLifecycle } from './order-lifecycle.service';
import { OrderPaymentEffects } from './order-payment-effects';
import { OrdersConfig } from './orders.config';
import { orderStockProvider } from './ports/stock-binding';

/**
 * Worker side: the repeatable sweep that releases unpaid storefront reservations after their TTL,
 * once Razorpay has confirmed there is no captured payment (a capture it reports is applied
 * through the payments lib's event path, with the same effect the api's webhook registers).
 */
@Module({
  imports: [BullModule.registerQueue({ name: ORDERS_QUEUE }), PaymentsWorkerModule],
  providers: [provideConfig(OrdersConfig), OrderLifecycle, OrderPaymentEffects, orderStockProvider, ReservationExpiry, OrdersProcessor, ReservationExpirySchedules],
  exports: [OrderLifecycle],
})
export class OrdersWorkerModule {}
