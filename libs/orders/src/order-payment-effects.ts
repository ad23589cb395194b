import { Injectable, OnModuleInit } from '@nestjs/common';
import { RazorpayEventEffects } from '@hub/payments';
import { OrderLifecycle } from './order-lifecycle.service';

/** Plugs the orders' reaction to Razorpay events into the payments webhook. */
@Injectable()
export class OrderPaymentEffects implements OnModuleInit {
  constructor(
    private readonly effects: RazorpayEventEffects,
    private readonly orders: OrderLifecycle,
  ) {}

  onModuleInit(): void {
    this.effects.register(
      (manager, events) => this.orders.applyPaymentEvents(manager, events),
      (events) => this.orders.planPaymentEvents(events),
      (events, outcomes) => this.orders.paymentEventsCommitted(events, outcomes),
    );
  }
}
