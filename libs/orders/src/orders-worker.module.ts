import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { ORDERS_QUEUE } from './constants';
import { OrdersProcessor } from './expiry/reservation-expiry.processor';
import { ReservationExpirySchedules } from './expiry/reservation-expiry.schedules';
import { OrdersDomainModule } from './orders-domain.module';
import { OrdersBindings } from './orders.bindings';

/** Worker side: the repeatable sweep that releases unpaid storefront reservations after their TTL. */
@Module({})
export class OrdersWorkerModule {
  static register(bindings: OrdersBindings): DynamicModule {
    return {
      module: OrdersWorkerModule,
      imports: [OrdersDomainModule.register(bindings), BullModule.registerQueue({ name: ORDERS_QUEUE })],
      providers: [OrdersProcessor, ReservationExpirySchedules],
    };
  }
}
