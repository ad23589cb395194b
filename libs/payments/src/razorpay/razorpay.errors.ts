/** Razorpay refused the request itself (a 4xx other than auth): our input was wrong, retrying will not help. */
export class RazorpayRequestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly description: string,
    readonly field: string | null,
  ) {
    super(`Razorpay refused the request (${statusCode} ${code}): ${description}${field ? ` [field ${field}]` : ''}`);
    this.name = 'RazorpayRequestError';
  }
}
