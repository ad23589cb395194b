import { DynamicModule, Module } from '@nestjs/common';
import { OrdersDomainModule } from './orders-domain.module';
import { OrdersBindings } from './orders.bindings';
import { OrdersController } from './orders.controller';

/** HTTP side: /v1/orders and (through PaymentsModule) /v1/webhooks/razorpay. */
@Module({})
export class OrdersModule {
  static register(bindings: OrdersBindings): DynamicModule {
    return { module: OrdersModule, imports: [OrdersDomainModule.register(bindings)], controllers: [OrdersController] };
  }
}
