import { DynamicModule, Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { PaymentsModule } from '@hub/payments';
import { OrderPaymentEffects } from './order-payment-effects';
import { OrdersBindings } from './orders.bindings';
import { OrdersConfig } from './orders.config';
import { OrdersService } from './orders.service';

/** The order service and its dependencies, shared by the api and the worker. */
@Module({})
export class OrdersDomainModule {
  static register(bindings: OrdersBindings): DynamicModule {
    return {
      module: OrdersDomainModule,
      imports: [PaymentsModule, ...(bindings.imports ?? [])],
      providers: [provideConfig(OrdersConfig), OrdersService, OrderPaymentEffects, ...bindings.providers],
      exports: [OrdersConfig, OrdersService, PaymentsModule],
    };
  }
}
