import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { CatalogModule } from '@hub/catalog';
import { PaymentsModule } from '@hub/payments';
import { OrderLifecycle } from './order-lifecycle.service';
import { OrderPaymentEffects } from './order-payment-effects';
import { OrdersConfig } from './orders.config';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { CatalogOrderPrices } from './ports/catalog-prices';
import { OrderCatalog } from './ports/order-catalog';
import { orderStockProvider } from './ports/stock-binding';

/**
 * API side: /v1/orders, and (through PaymentsModule) /v1/webhooks/razorpay whose effects on orders
 * are registered here. Needs the inventory lib's global InventoryService from the app.
 */
@Module({
  imports: [PaymentsModule, CatalogModule],
  controllers: [OrdersController],
  providers: [
    provideConfig(OrdersConfig),
    OrdersService,
    OrderLifecycle,
    OrderPaymentEffects,
    orderStockProvider,
    { provide: OrderCatalog, useClass: CatalogOrderPrices },
  ],
  exports: [OrdersService, OrderLifecycle],
})
export class OrdersModule {}
