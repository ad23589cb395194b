/** Queue for order housekeeping (reservation expiry). Names only; no `:` in job ids. */
export const ORDERS_QUEUE = 'orders';
export const EXPIRE_RESERVATIONS_JOB = 'expire-reservations';
export const LOG_CONTEXT = 'Orders';
/** An order may carry at most this many lines (larger baskets are almost always a client bug). */
export const MAX_ORDER_LINES = 100;
export const MAX_LINE_QUANTITY = 10_000;
