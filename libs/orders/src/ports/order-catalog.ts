import type { Channel } from '@hub/core';
import type { EntityManager } from 'typeorm';

export interface CatalogPrice {
  sku: string;
  /** Decimal string in major units, exactly as stored ("899.00"). */
  price: string;
  currency: string;
  /** The channels the product is sold on (the catalog's list, published or still pending there). */
  channels: readonly Channel[];
}

/** Prices come from the catalog; orders never store their own price list. */
export abstract class OrderCatalog {
  /** Prices of the SKUs that exist; unknown SKUs are simply absent from the map. */
  abstract prices(skus: string[], manager?: EntityManager): Promise<Map<string, CatalogPrice>>;
}
