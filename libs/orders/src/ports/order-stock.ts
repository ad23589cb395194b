import type { Channel } from '@hub/core';
import type { EntityManager } from 'typeorm';

export interface StockLine {
  lineId: string;
  sku: string;
  quantity: number;
}

/**
 * The stock operations orders need, all run inside the caller's transaction (the manager passed
 * in). Shaped exactly like `@hub/inventory`'s InventoryService, which is bound to it; kept as a
 * port so orders states what it relies on and nothing more.
 */
export abstract class OrderStock {
  /**
   * All-or-nothing; throws a 409 `insufficient-stock` problem when any line cannot be reserved.
   * `allowAsyncCommit`: only for a new order (see inventory's INVENTORY_RESERVE_SYNCHRONOUS_COMMIT),
   * never inside the webhook's transaction.
   */
  abstract reserve(
    manager: EntityManager,
    input: { orderId: string; channel: Channel; lines: StockLine[]; actorKeyId?: string; expiresAt?: Date; allowAsyncCommit?: boolean },
  ): Promise<unknown>;
  abstract commitReservations(manager: EntityManager, orderId: string, actorKeyId?: string): Promise<unknown>;
  /** Idempotent. */
  abstract releaseReservations(manager: EntityManager, orderId: string, reason: string, actorKeyId?: string): Promise<unknown>;
  /** Marketplace orders: the sale is already made, take the stock at once. */
  abstract sellDirect(manager: EntityManager, input: { orderId: string; channel: Channel; lines: StockLine[]; actorKeyId?: string; allowAsyncCommit?: boolean }): Promise<unknown>;
}

/** Inventory's "not enough stock" error, recognised by its problem slug or name (it may be either shape). */
export function isInsufficientStock(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { slug?: unknown; name?: unknown; code?: unknown };
  return e.slug === 'insufficient-stock' || e.name === 'InsufficientStockError' || e.code === 'insufficient-stock';
}
