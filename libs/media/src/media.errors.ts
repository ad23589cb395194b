/** An image could not be uploaded; `retryable` says whether trying again later may help. */
export class MediaUploadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly httpCode?: number,
  ) {
    super(message);
    this.name = 'MediaUploadError';
  }
}
