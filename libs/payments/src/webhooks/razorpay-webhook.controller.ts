import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiProblem, Public, RawJsonBodyConfig } from '@hub/core';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { RAZORPAY_EVENT_ID_HEADER, RAZORPAY_SIGNATURE_HEADER } from '../constants';
import { RazorpayWebhookService } from './razorpay-webhook.service';

class WebhookReceiptDto {
  @ApiProperty({ example: 'evt_Nq1a2b3c4d5e6f' })
  eventId: string;

  @ApiProperty({ enum: ['processed', 'duplicate'], description: '`duplicate`: an earlier delivery of this event id already took effect' })
  status: 'processed' | 'duplicate';

  @ApiProperty({ nullable: true, example: 'order-paid', description: 'What the event did (null for a duplicate); `malformed`: signed, but no usable event, so stored and not applied' })
  outcome: string | null;
}

@ApiTags('payments')
@Controller('v1/webhooks')
export class RazorpayWebhookController {
  constructor(private readonly webhooks: RazorpayWebhookService) {}

  // Public: Razorpay has no API key; the HMAC signature over the raw body authenticates it.
  @Public()
  @Post('razorpay')
  // JSON core could not parse still reaches receive() as rawBody: it is signed, so it is stored, not refused.
  @RouteConfig({ rawJsonBody: true } satisfies RawJsonBodyConfig)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Razorpay webhook receiver',
    description:
      'Verifies `X-Razorpay-Signature` (hex HMAC-SHA256 of the raw body, current or previous webhook secret), stores the event ' +
      'under `x-razorpay-event-id` and applies it once: `payment.captured`/`order.paid` mark the order paid and commit its stock, ' +
      '`payment.failed` releases it. A capture whose amount or currency is not the order\'s (or whose amount is not a whole number ' +
      'of paise) is stored and answered 200 with outcome `amount-mismatch`, `currency-mismatch` or `invalid-amount`, changing nothing. ' +
      'A correctly signed body that is no usable event (not Razorpay\'s `{event, payload}` object, or no usable ' +
      '`x-razorpay-event-id`) is stored and answered 200 with outcome `malformed`, applying nothing; without an event id its ' +
      '`eventId` is `unidentified.<SHA-256 of the body>`. Redeliveries answer 200 `duplicate`. A missing or bad signature gets ' +
      '400 `invalid-signature`, whatever the body, and changes nothing.',
  })
  @ApiHeader({ name: RAZORPAY_SIGNATURE_HEADER, required: true })
  @ApiHeader({ name: RAZORPAY_EVENT_ID_HEADER, required: true })
  @ApiOkResponse({ type: WebhookReceiptDto })
  @ApiProblem(400, 'invalid-signature', '`X-Razorpay-Signature` is not the HMAC-SHA256 of the raw body under the current or previous webhook secret')
  @ApiProblem(503, 'payment-provider-unavailable', 'no usable webhook secret in the vault; Razorpay redelivers later', { retryAfter: true })
  @ApiProblem(503, 'service-unavailable', 'payment events cannot be applied yet; Razorpay redelivers later')
  receive(
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Headers(RAZORPAY_SIGNATURE_HEADER) signature: string | undefined,
    @Headers(RAZORPAY_EVENT_ID_HEADER) eventId: string | undefined,
  ): Promise<WebhookReceiptDto> {
    return this.webhooks.receive(req.rawBody, req.body, signature, eventId);
  }
}
