import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { PaymentsConfig } from './payments.config';
import { RazorpayGateway } from './razorpay/razorpay-gateway.service';
import { RazorpayEventEffects } from './webhooks/razorpay-event-effects';
import { RazorpayWebhookController } from './webhooks/razorpay-webhook.controller';
import { RazorpayWebhookService } from './webhooks/razorpay-webhook.service';

/** Razorpay: the outbound client (orders) and the inbound signed webhooks. */
@Module({
  controllers: [RazorpayWebhookController],
  providers: [provideConfig(PaymentsConfig), RazorpayGateway, RazorpayEventEffects, RazorpayWebhookService],
  exports: [PaymentsConfig, RazorpayGateway, RazorpayEventEffects, RazorpayWebhookService],
})
export class PaymentsModule {}
