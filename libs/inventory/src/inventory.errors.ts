import { ProblemException } from '@hub/core';

export interface InsufficientLine {
  sku: string;
  requested: number;
  available: number;
}

/** 409 `insufficient-stock`: at least one line could not be reserved, and nothing was. */
export class InsufficientStockError extends ProblemException {
  constructor(readonly lines: InsufficientLine[]) {
    super(409, 'insufficient-stock', `Not enough stock for ${lines.map((l) => `${l.sku} (requested ${l.requested}, available ${l.available})`).join(', ')}`, {
      title: 'Not enough stock',
      extensions: { lines },
    });
  }
}

/** 422 `unknown-sku`: the request names SKUs that have no stock row. */
export class UnknownSkuError extends ProblemException {
  constructor(readonly skus: string[]) {
    super(422, 'unknown-sku', `Unknown SKU: ${skus.join(', ')}`, { title: 'Unknown SKU', extensions: { skus } });
  }
}

/** 409 `reservation-exists`: reserve() was called again for an order line that already holds stock. */
export class ReservationExistsError extends ProblemException {
  constructor(orderId: string, lineIds: string[]) {
    super(409, 'reservation-exists', `Order ${orderId} already has reservations for lines ${lineIds.join(', ')}`, {
      extensions: { orderId, lineIds },
    });
  }
}
