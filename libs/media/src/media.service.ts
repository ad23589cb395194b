import { Channel, PartnerCredentials } from '@hub/core';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { MediaUploadError } from './media.errors';
import { CHANNEL_IMAGE_PRESETS, PRESET_CHANNELS } from './media-presets';

export interface MediaAsset {
  sku: string;
  sourceUrl: string;
  publicId: string;
  secureUrl: string;
  variants: Record<Channel, string>;
}

type CloudinaryV2 = typeof import('cloudinary').v2;

/**
 * Uploads product images to Cloudinary with the real SDK, once per (product, source URL), with
 * one eager transform per channel preset, and remembers the variant URLs in media_assets.
 */
@Injectable()
export class MediaService {
  private readonly logger = new Logger('Media');
  private sdk: Promise<CloudinaryV2> | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly credentials: PartnerCredentials,
  ) {}

  /** Stable public id: the same image of the same product always lands on the same asset. */
  static publicIdFor(sku: string, sourceUrl: string): string {
    return `products/${sku}/${createHash('sha256').update(sourceUrl).digest('hex').slice(0, 20)}`;
  }

  async find(sku: string, sourceUrl: string): Promise<MediaAsset | null> {
    const rows = await this.ds.query(`SELECT * FROM media_assets WHERE sku = $1 AND source_url = $2`, [sku, sourceUrl]);
    return rows.length ? toAsset(rows[0]) : null;
  }

  async list(sku: string): Promise<MediaAsset[]> {
    const rows = await this.ds.query(`SELECT * FROM media_assets WHERE sku = $1 ORDER BY uploaded_at`, [sku]);
    return rows.map(toAsset);
  }

  /**
   * The asset for this image, uploading it if this is the first time. Publish jobs for the
   * three channels of a product run at the same time (possibly on several workers), so the
   * check-then-upload runs under a Postgres advisory lock on (sku, url): one uploads, the
   * others wait and read its row.
   */
  async ensureUploaded(sku: string, sourceUrl: string): Promise<MediaAsset> {
    const existing = await this.find(sku, sourceUrl);
    if (existing && covers(existing)) return existing;
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7364))`, [`media:${sku}:${sourceUrl}`]);
      const [row] = await m.query(`SELECT * FROM media_assets WHERE sku = $1 AND source_url = $2`, [sku, sourceUrl]);
      if (row && covers(toAsset(row))) return toAsset(row);
      const asset = await this.upload(sku, sourceUrl);
      await this.save(m, asset);
      return asset;
    });
  }

  private async save(m: EntityManager, a: MediaAsset & { width?: number; height?: number }): Promise<void> {
    await m.query(
      `INSERT INTO media_assets (sku, source_url, public_id, secure_url, variants, width, height) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (sku, source_url) DO UPDATE SET public_id = EXCLUDED.public_id, secure_url = EXCLUDED.secure_url,
         variants = EXCLUDED.variants, width = EXCLUDED.width, height = EXCLUDED.height, uploaded_at = now()`,
      [a.sku, a.sourceUrl, a.publicId, a.secureUrl, JSON.stringify(a.variants), a.width ?? null, a.height ?? null],
    );
  }

  private async upload(sku: string, sourceUrl: string): Promise<MediaAsset & { width?: number; height?: number }> {
    const cloudinary = await this.loadSdk();
    const cred = await this.credentials.current('cloudinary');
    const publicId = MediaService.publicIdFor(sku, sourceUrl);
    let res: any;
    try {
      // Credentials per call, from the vault, so a rotated secret is used at once.
      res = await cloudinary.uploader.upload(sourceUrl, {
        public_id: publicId,
        overwrite: true,
        resource_type: 'image',
        eager: PRESET_CHANNELS.map((c) => ({ raw_transformation: CHANNEL_IMAGE_PRESETS[c] })),
        api_key: cred.fields.apiKey,
        api_secret: cred.fields.apiSecret,
        cloud_name: cred.fields.cloudName,
      });
    } catch (err) {
      throw await this.mapError(err, cred.version);
    }
    const eager: any[] = Array.isArray(res?.eager) ? res.eager : [];
    const variants = {} as Record<Channel, string>;
    PRESET_CHANNELS.forEach((c, i) => {
      const match = eager.find((e) => e?.transformation === CHANNEL_IMAGE_PRESETS[c]) ?? eager[i];
      if (match?.secure_url) variants[c] = match.secure_url;
    });
    if (!covers({ variants } as MediaAsset)) {
      throw new MediaUploadError(`Cloudinary answered without the eager variants we asked for (${PRESET_CHANNELS.join(', ')})`, true);
    }
    this.logger.debug({ sku, publicId }, 'image uploaded');
    return { sku, sourceUrl, publicId, secureUrl: res.secure_url, variants, width: res.width, height: res.height };
  }

  private async mapError(err: any, version: number): Promise<MediaUploadError> {
    // The SDK rejects with `{ error: { message, http_code } }` for API answers, or an Error for transport failures.
    const e = err?.error ?? err;
    const code = Number(e?.http_code);
    const message = String(e?.message ?? 'upload failed').slice(0, 300);
    if (code === 401 || code === 403) {
      const reason = `Cloudinary answered ${code}: ${message}`;
      await this.credentials.reportRejected('cloudinary', version, reason);
      return new MediaUploadError(`cloudinary rejected credential version ${version}: ${message}`, false, code);
    }
    if (code === 420 || code === 429 || !code || code >= 500) return new MediaUploadError(`Cloudinary unavailable: ${message}`, true, code || undefined);
    return new MediaUploadError(`Cloudinary refused the image: ${message}`, false, code);
  }

  /**
   * The SDK reads CLOUDINARY_URL (upload_prefix, http vs https) once, when first loaded, so it
   * is loaded here, after the process configuration is in place, never at module top level.
   */
  private loadSdk(): Promise<CloudinaryV2> {
    this.sdk ??= import('cloudinary').then((m) => m.v2);
    return this.sdk;
  }
}

function covers(a: MediaAsset): boolean {
  return PRESET_CHANNELS.every((c) => typeof a.variants?.[c] === 'string');
}

function toAsset(r: any): MediaAsset {
  return { sku: r.sku, sourceUrl: r.source_url, publicId: r.public_id, secureUrl: r.secure_url, variants: r.variants };
}
