import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { PaymentsConfig } from './payments.config';
import { RazorpayGateway } from './razorpay/razorpay-gateway.service';
import { RazorpayEventEffects } from './webhooks/razorpay-event-effects';
import { RazorpayWebhookService } from './webhooks/razorpay-webhook.service';

/**
 * Razorpay without the webhook route: the outbound client and the store-and-apply path of its
 * events. The worker's expiry sweep uses both to ask Razorpay about an order and apply a capture
 * it finds; the api's PaymentsModule adds the route on top.
 */
@Module({
  providers: [provideConfig(PaymentsConfig), RazorpayGateway, RazorpayEventEffects, RazorpayWebhookService],
  exports: [PaymentsConfig, RazorpayGateway, RazorpayEventEffects, RazorpayWebhookService],
})
export class PaymentsWorkerModule {}
