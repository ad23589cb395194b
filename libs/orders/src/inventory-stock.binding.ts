import { InventoryModule, InventoryService } from '@hub/inventory';
import type { OrdersBindings } from './orders.bindings';
import { OrderStock } from './ports/order-stock';

/** Stock comes from the inventory lib; its service already has OrderStock's shape. */
export const inventoryStockBinding: Required<OrdersBindings> = {
  imports: [InventoryModule],
  providers: [{ provide: OrderStock, useExisting: InventoryService }],
};
