/** Razorpay's webhook headers (lower-case, as Node presents them). */
export const RAZORPAY_SIGNATURE_HEADER = 'x-razorpay-signature';
export const RAZORPAY_EVENT_ID_HEADER = 'x-razorpay-event-id';

/** Events whose effect is "the money is ours": whichever arrives first marks the order paid. */
export const CAPTURE_EVENTS = ['payment.captured', 'order.paid'] as const;
export const FAILURE_EVENTS = ['payment.failed'] as const;
