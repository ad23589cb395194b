import { IsInt, Max, Min } from 'class-validator';
import { IsUrlWithProtocol } from '@hub/core';

/** Razorpay connection settings. Credentials are not here: they come from PartnerCredentials. */
export class PaymentsConfig {
  /** Razorpay REST base, e.g. https://api.razorpay.com/v1/ in production; the sandbox by default. */
  @IsUrlWithProtocol(['http:', 'https:'])
  RAZORPAY_API_URL = 'http://127.0.0.1:4010/v1/';

  /** A Razorpay call that takes longer than this fails as PartnerUnavailable rather than holding the request. */
  @IsInt()
  @Min(100)
  @Max(60_000)
  RAZORPAY_TIMEOUT_MS = 5_000;
}
