import { IsOptional } from 'class-validator';
import { cloudinaryApiBase, IsCloudinaryUrl, IsUrlWithProtocol, Sensitive } from '@hub/core';

/** Where Cloudinary lives. The vault's verifier reads the same variables, resolved the same way. */
export class MediaConfig {
  /** Cloudinary's API base; unset: CLOUDINARY_URL's upload_prefix, or the sandbox (precedence: cloudinaryApiBase). */
  @IsOptional()
  @IsUrlWithProtocol(['http:', 'https:'])
  CLOUDINARY_API_URL?: string;

  /** Read here only for its `upload_prefix`; the credential comes from PartnerCredentials. */
  @IsOptional()
  @IsCloudinaryUrl()
  @Sensitive()
  CLOUDINARY_URL?: string;

  cloudinaryApiBase(): string {
    return cloudinaryApiBase(this);
  }
}
