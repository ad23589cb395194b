/**
 * An image could not be uploaded; `retryable` says whether trying again later may help, and
 * `credentialRejected` that Cloudinary refused our credential (already reported to the vault).
 */
export class MediaUploadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly httpCode?: number,
    readonly credentialRejected = false,
  ) {
    super(message);
    this.name = 'MediaUploadError';
  }
}
