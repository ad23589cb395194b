import { IsOptional } from 'class-validator';
import { Sensitive } from '../config/config.loader';
import { IsCloudinaryUrl, IsUrlWithProtocol } from '../config/validators';

/** The partner sandbox: like every partner base URL, Cloudinary's defaults to it (CONTRACT). */
const SANDBOX_API_URL = 'http://127.0.0.1:4010';
/** Where the cloudinary SDK sends a CLOUDINARY_URL that names no upload_prefix. */
const PUBLIC_API_URL = 'https://api.cloudinary.com';

/** The `upload_prefix` query parameter of a CLOUDINARY_URL, if it has one. */
function uploadPrefixOf(cloudinaryUrl: string | undefined): string | undefined {
  if (!cloudinaryUrl) return undefined;
  try {
    return new URL(cloudinaryUrl).searchParams.get('upload_prefix') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The two settings that say where Cloudinary lives, for the config classes of every process part
 * that talks to it (media uploads, the vault's verification): declared once, so they cannot drift.
 */
export class CloudinaryLocationConfig {
  /** Cloudinary's API base; unset: see cloudinaryApiBase. */
  @IsOptional()
  @IsUrlWithProtocol(['http:', 'https:'])
  CLOUDINARY_API_URL?: string;

  /** Read for its `upload_prefix` only; the credential itself comes from PartnerCredentials (the vault). */
  @IsOptional()
  @IsCloudinaryUrl()
  @Sensitive()
  CLOUDINARY_URL?: string;

  /**
   * Cloudinary's API base, the one answer for both the vault's verification ping and the media
   * uploads, without a trailing slash:
   * 1. CLOUDINARY_API_URL, when set;
   * 2. else CLOUDINARY_URL's `upload_prefix` (installs configured before CLOUDINARY_API_URL existed);
   * 3. else, when CLOUDINARY_URL is set without one, https://api.cloudinary.com, where the SDK has
   *    always sent such an install;
   * 4. else the sandbox.
   */
  cloudinaryApiBase(): string {
    const base = this.CLOUDINARY_API_URL || uploadPrefixOf(this.CLOUDINARY_URL) || (this.CLOUDINARY_URL ? PUBLIC_API_URL : SANDBOX_API_URL);
    return new URL(base).href.replace(/\/+$/, '');
  }
}
