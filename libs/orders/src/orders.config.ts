import { IsInt, Max, Min } from 'class-validator';

export class OrdersConfig {
  /** How long an unpaid storefront order holds its stock. */
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  ORDER_RESERVATION_TTL_SECONDS = 900;

  /** How often the worker looks for expired reservations (so stock is freed at most this late). */
  @IsInt()
  @Min(1)
  @Max(3600)
  ORDER_EXPIRY_SWEEP_SECONDS = 30;
}
