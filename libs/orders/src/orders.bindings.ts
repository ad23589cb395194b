import type { ModuleMetadata, Provider } from '@nestjs/common';

/**
 * Where orders get stock and prices from: providers for OrderStock and OrderCatalog and the
 * modules they need. The apps use the inventory and catalog libs; tests may pass their own.
 */
export interface OrdersBindings {
  imports?: ModuleMetadata['imports'];
  providers: Provider[];
}
