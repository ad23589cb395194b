import { Module } from '@nestjs/common';
import { PaymentsWorkerModule } from './payments-worker.module';
import { RazorpayWebhookController } from './webhooks/razorpay-webhook.controller';

/** Razorpay: the outbound client (orders) and the inbound signed webhooks. */
@Module({
  imports: [PaymentsWorkerModule],
  controllers: [RazorpayWebhookController],
  exports: [PaymentsWorkerModule],
})
export class PaymentsModule {}
