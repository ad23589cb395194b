import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { ORDERS_QUEUE } from './constants';
import { OrdersProcessor } from './expiry/reservation-expiry.processor';
import { ReservationExpirySchedules } from './expiry/reservation-expiry.schedules';
import { OrderLifecycle } from './order-lifecycle.service';
import { OrdersConfig } from './orders.config';
import { orderStockProvider } from './ports/stock-binding';

/** Worker side: the repeatable sweep that releases unpaid storefront reservations after their TTL. */
@Module({
  imports: [BullModule.registerQueue({ name: ORDERS_QUEUE })],
  providers: [provideConfig(OrdersConfig), OrderLifecycle, orderStockProvider, OrdersProcessor, ReservationExpirySchedules],
  exports: [OrderLifecycle],
})
export class OrdersWorkerModule {}
