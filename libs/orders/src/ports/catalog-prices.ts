import { Injectable } from '@nestjs/common';
import { ProblemException } from '@hub/core';
import { CatalogService } from '@hub/catalog';
import { CatalogPrice, OrderCatalog } from './order-catalog';

/**
 * Prices from the catalog lib's public service. It answers one SKU at a time, so the lines are
 * looked up concurrently (at most 100 per order); a SKU it does not know (404) is left out of the
 * map, which the order service reports as `unknown-sku` naming the line.
 */
@Injectable()
export class CatalogOrderPrices extends OrderCatalog {
  constructor(private readonly catalog: CatalogService) {
    super();
  }

  async prices(skus: string[]): Promise<Map<string, CatalogPrice>> {
    const out = new Map<string, CatalogPrice>();
    await Promise.all(
      [...new Set(skus)].map(async (sku) => {
        try {
          const p = await this.catalog.get(sku);
          out.set(sku, { sku, price: p.price, currency: p.currency, channels: p.channels });
        } catch (err) {
          if (!(err instanceof ProblemException && err.getStatus() === 404)) throw err;
        }
      }),
    );
    return out;
  }
}
