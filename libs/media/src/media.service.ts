import { Channel, PartnerCredentials } from '@hub/core';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { DataSource, EntityManager } from 'typeorm';
import { MediaConfig } from './media.config';
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

interface LoadedSdk {
  cloudinary: CloudinaryV2;
  /** The SDK chose node's http or https module once, at load, from CLOUDINARY_URL's upload_prefix. */
  plainHttp: boolean;
}

/**
 * Cloudinary's (idle) timeout for one upload. A claim outlives it, so a waiter takes over only from
 * a holder that died; if it ever did from a live one, the second upload lands on the same public id
 * (overwrite), costing an upload but no wrong data.
 */
const UPLOAD_TIMEOUT_MS = 60_000;
const CLAIM_TTL_MS = 2 * UPLOAD_TIMEOUT_MS;

/**
 * Uploads product images to Cloudinary with the real SDK, once per (product, source URL), with
 * one eager transform per channel preset, and remembers the variant URLs in media_assets.
 */
@Injectable()
export class MediaService {
  private readonly logger = new Logger('Media');
  private sdk: Promise<LoadedSdk> | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly credentials: PartnerCredentials,
    private readonly cfg: MediaConfig,
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
   * three channels of a product run at the same time (possibly on several workers), so one of
   * them takes a claim row on (sku, url) and uploads; the others poll for its asset. The claim is
   * taken and released by single statements: no transaction, lock or pool connection is held
   * while Cloudinary works (or while waiting for it), so many uploads cannot exhaust the pool.
   * A claim whose holder died expires after CLAIM_TTL_MS and is taken over.
   */
  async ensureUploaded(sku: string, sourceUrl: string): Promise<MediaAsset> {
    const deadline = Date.now() + CLAIM_TTL_MS + 5000;
    for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
      const existing = await this.find(sku, sourceUrl);
      if (existing && covers(existing)) return existing;
      const token = await this.claim(sku, sourceUrl);
      if (token) return this.uploadClaimed(sku, sourceUrl, token);
      if (Date.now() > deadline) throw new MediaUploadError(`image ${sourceUrl} of ${sku} is still being uploaded by another job`, true);
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  private async uploadClaimed(sku: string, sourceUrl: string, token: string): Promise<MediaAsset> {
    try {
      // The previous holder may have finished between our read and our claim.
      const done = await this.find(sku, sourceUrl);
      if (done && covers(done)) return done;
      const asset = await this.upload(sku, sourceUrl);
      await this.save(this.ds.manager, asset);
      return asset;
    } finally {
      await this.ds.query(`DELETE FROM media_upload_claims WHERE sku = $1 AND source_url = $2 AND token = $3`, [sku, sourceUrl, token]).catch((err) => {
        // It expires by itself; waiters then take it over and find the saved asset.
        this.logger.warn({ sku, err: err?.message }, 'could not release an image upload claim');
      });
    }
  }

  /** The claim's token when this caller may upload (no claim, or an expired one); null while another holds it. */
  private async claim(sku: string, sourceUrl: string): Promise<string | null> {
    const token = randomUUID();
    const rows: { token: string }[] = await this.ds.query(
      `INSERT INTO media_upload_claims (sku, source_url, token, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
       ON CONFLICT (sku, source_url) DO UPDATE SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
         WHERE media_upload_claims.expires_at < now()
       RETURNING token`,
      [sku, sourceUrl, token, CLAIM_TTL_MS / 1000],
    );
    return rows.length ? token : null;
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
    const { cloudinary, plainHttp } = await this.loadSdk();
    const base = this.cfg.cloudinaryApiBase();
    const cred = await this.credentials.current('cloudinary');
    const publicId = MediaService.publicIdFor(sku, sourceUrl);
    let res: any;
    try {
      // Credentials per call, from the vault, so a rotated secret is used at once.
      res = await cloudinary.uploader.upload(sourceUrl, {
        public_id: publicId,
        overwrite: true,
        resource_type: 'image',
        timeout: UPLOAD_TIMEOUT_MS,
        eager: PRESET_CHANNELS.map((c) => ({ raw_transformation: CHANNEL_IMAGE_PRESETS[c] })),
        api_key: cred.fields.apiKey,
        api_secret: cred.fields.apiSecret,
        cloud_name: cred.fields.cloudName,
        // The base per call (MediaConfig): the one the vault verifies against, whatever CLOUDINARY_URL held at SDK load.
        upload_prefix: base,
        ...agentFor(base, plainHttp),
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
      return new MediaUploadError(`cloudinary rejected credential version ${version}: ${message}`, false, code, true);
    }
    // 499: the SDK's own request timeout.
    if (code === 420 || code === 429 || code === 499 || !code || code >= 500) return new MediaUploadError(`Cloudinary unavailable: ${message}`, true, code || undefined);
    return new MediaUploadError(`Cloudinary refused the image: ${message}`, false, code);
  }

  /**
   * Loaded lazily, never at module top level. The SDK reads CLOUDINARY_URL when first loaded and
   * picks its transport from the upload_prefix found there (uploader.js); the base itself is
   * passed per call (see agentFor).
   */
  private loadSdk(): Promise<LoadedSdk> {
    this.sdk ??= import('cloudinary').then((m) => ({ cloudinary: m.v2, plainHttp: String(m.v2.config().upload_prefix ?? '').startsWith('http:') }));
    return this.sdk;
  }
}

/**
 * An agent of the base's scheme when the SDK loaded the other one's module (an http sandbox with
 * no CLOUDINARY_URL, say): node's request follows its agent's protocol. None otherwise, so the
 * SDK's own proxy support (CLOUDINARY_API_PROXY) still applies.
 */
function agentFor(base: string, sdkPlainHttp: boolean): { agent?: http.Agent } {
  const plainHttp = base.startsWith('http:');
  if (plainHttp === sdkPlainHttp) return {};
  return { agent: plainHttp ? http.globalAgent : https.globalAgent };
}

function covers(a: MediaAsset): boolean {
  return PRESET_CHANNELS.every((c) => typeof a.variants?.[c] === 'string');
}

function toAsset(r: any): MediaAsset {
  return { sku: r.sku, sourceUrl: r.source_url, publicId: r.public_id, secureUrl: r.secure_url, variants: r.variants };
}
