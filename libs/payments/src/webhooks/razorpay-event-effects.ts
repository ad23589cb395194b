import { Injectable } from '@nestjs/common';
import type { RazorpayEventEffect, RazorpayEventPlanner, RazorpayEventsCommitted } from './razorpay-event';

/**
 * Where the lib that owns the affected records (orders) plugs in its effect. Payments does not
 * import orders (orders imports payments to create Razorpay orders), so the dependency points one
 * way and the effect is registered at module init.
 */
@Injectable()
export class RazorpayEventEffects {
  private effect: RazorpayEventEffect | null = null;
  private planner: RazorpayEventPlanner | null = null;
  private committed: RazorpayEventsCommitted | null = null;

  register(effect: RazorpayEventEffect, planner?: RazorpayEventPlanner, committed?: RazorpayEventsCommitted): void {
    if (this.effect && this.effect !== effect) throw new Error('A Razorpay event effect is already registered');
    this.effect = effect;
    this.planner = planner ?? null;
    this.committed = committed ?? null;
  }

  getCommitted(): RazorpayEventsCommitted | null {
    return this.committed;
  }

  get(): RazorpayEventEffect | null {
    return this.effect;
  }

  getPlanner(): RazorpayEventPlanner | null {
    return this.planner;
  }
}
