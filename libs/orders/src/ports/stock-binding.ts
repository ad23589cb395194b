import type { Provider } from '@nestjs/common';
import { InventoryService } from '@hub/inventory';
import { OrderStock } from './order-stock';

/** InventoryService (global, from the inventory lib the app imports) already has OrderStock's shape. */
export const orderStockProvider: Provider = { provide: OrderStock, useExisting: InventoryService };
