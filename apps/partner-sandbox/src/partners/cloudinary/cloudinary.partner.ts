import multipart from '@fastify/multipart';
import { partnerFieldsFromEnv, PartnerFields } from '@hub/core';
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyCommonFaults } from '../../faults/common-faults';
import { SandboxContext, SandboxPartner } from '../../sandbox-partner';
import { registerFormBodyParser } from '../shared/form-body';
import { base62, basicAuth, safeEqual } from '../shared/ids';
import { MIME, sniffImage, solidPng } from './image-bytes';
import { stringToSign, verifySignature } from './signature';
import { applyTransformation, TransformationError, Variant } from './transformations';

/** Used when the environment has no Cloudinary credentials (same values as .env.example). */
const FALLBACK: PartnerFields['cloudinary'] = { cloudName: 'novaskin-fake', apiKey: '111111111111111', apiSecret: 'fake-cloudinary-secret-0001' };

/** Cloudinary rejects signed requests whose timestamp is older than this. */
const MAX_TIMESTAMP_AGE_S = 3600;
/** Remote URLs are not fetched (no internet in dev/test); this stands in for their size. */
const REMOTE_DIMENSIONS = { width: 1000, height: 1000 };
const MAX_FILE_BYTES = 20 * 1024 * 1024;

interface Upload {
  publicId: string;
  version: number;
  format: string;
  width: number;
  height: number;
  bytes: number;
  /** Original bytes when they were sent (file part or data URI). */
  data?: Buffer;
  source: string;
  secureUrl: string;
  eager: (Variant & { secureUrl: string })[];
  uploadedAt: string;
}

class CloudinaryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const cloudinaryError = (reply: FastifyReply, status: number, message: string) => reply.status(status).send({ error: { message } });

/**
 * Cloudinary stand-in: signed image upload (multipart, form or JSON) with eager transforms, the
 * delivery URLs it hands out (served here), and the Admin API ping used to verify credentials.
 */
export class CloudinaryPartner implements SandboxPartner {
  readonly name = 'cloudinary';
  private ctx!: SandboxContext;
  private creds!: PartnerFields['cloudinary'];
  private uploads = new Map<string, Upload>();
  private uploadCount = 0;
  private placeholders = new Map<string, Buffer>();

  constructor(private readonly now: () => number = () => Date.now()) {
    this.reset();
  }

  state() {
    const uploads: Record<string, unknown> = {};
    for (const [id, u] of this.uploads) {
      uploads[id] = {
        secure_url: u.secureUrl,
        eager: u.eager.map((e) => ({ transformation: e.transformation, secure_url: e.secureUrl, width: e.width, height: e.height })),
        uploadedAt: u.uploadedAt,
        source: u.source,
        format: u.format,
        width: u.width,
        height: u.height,
        bytes: u.bytes,
      };
    }
    return { uploads, uploadCount: this.uploadCount };
  }

  reset(): void {
    this.creds = partnerFieldsFromEnv('cloudinary') ?? FALLBACK;
    this.uploads.clear();
    this.uploadCount = 0;
  }

  /** Releases requests held by latency/timeout faults so shutdown does not wait for them. */
  close(): void {
    this.ctx?.faults.clear(this.name);
  }

  async register(app: FastifyInstance, ctx: SandboxContext): Promise<void> {
    this.ctx = ctx;
    await app.register(async (scope) => {
      registerFormBodyParser(scope);
      await scope.register(multipart, { limits: { fileSize: MAX_FILE_BYTES, fieldSize: MAX_FILE_BYTES, fields: 200, files: 1 } });
      scope.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
        if (err instanceof CloudinaryError) return cloudinaryError(reply, err.status, err.message);
        if (err.statusCode && err.statusCode < 500) return cloudinaryError(reply, err.statusCode === 413 ? 400 : err.statusCode, err.message);
        ctx.log.error({ err }, 'cloudinary sandbox error');
        return cloudinaryError(reply, 500, 'General Error');
      });
      scope.addHook('preHandler', async (req, reply) => {
        const faulted = await applyCommonFaults(ctx.faults, this.name, req, reply, {
          // Cloudinary answers rate limiting with 420 ("Enhance your calm"), not 429.
          rateLimited: (r, s) => cloudinaryError(r.header('retry-after', String(s)), 420, 'Rate Limit Exceeded'),
          serverError: (r, status) => cloudinaryError(r, status, 'General Error'),
        });
        if (faulted) return reply;
      });

      scope.post('/v1_1/:cloud/image/upload', (req, reply) => this.upload(req, reply));
      scope.get('/v1_1/:cloud/ping', (req, reply) => this.ping(req, reply));
      scope.get('/:cloud/image/upload/*', (req, reply) => this.serve(req, reply));
    });
  }

  private ping(req: FastifyRequest, reply: FastifyReply) {
    const { cloud } = req.params as { cloud: string };
    const auth = basicAuth(req.headers.authorization);
    if (!auth) return cloudinaryError(reply, 401, 'Must supply api_key');
    if (cloud !== this.creds.cloudName) return cloudinaryError(reply, 401, `Invalid cloud_name ${cloud}`);
    if (!safeEqual(auth.user, this.creds.apiKey)) return cloudinaryError(reply, 401, `Unknown API key ${auth.user}`);
    if (!safeEqual(auth.pass, this.creds.apiSecret) || this.ctx.faults.take(this.name, 'reject-credentials', req.url)) {
      return cloudinaryError(reply, 401, 'Invalid credentials');
    }
    return reply.send({ status: 'ok' });
  }

  private async upload(req: FastifyRequest, reply: FastifyReply) {
    const { cloud } = req.params as { cloud: string };
    const { params, filePart } = await this.readParams(req);
    if (cloud !== this.creds.cloudName) throw new CloudinaryError(401, `Invalid cloud_name ${cloud}`);
    if (!params.api_key) throw new CloudinaryError(401, 'Must supply api_key');
    if (!safeEqual(params.api_key, this.creds.apiKey)) throw new CloudinaryError(401, `Unknown API key ${params.api_key}`);
    if (!params.signature) throw new CloudinaryError(400, 'Upload preset must be specified when using unsigned upload');
    if (!params.timestamp) throw new CloudinaryError(400, 'Missing required parameter - timestamp');
    const ts = Number(params.timestamp);
    if (!Number.isInteger(ts)) throw new CloudinaryError(400, `Invalid timestamp - ${params.timestamp}`);
    const toSign = stringToSign(params);
    const rejected = this.ctx.faults.take(this.name, 'reject-credentials', req.url);
    if (rejected || !verifySignature(params, params.signature, this.creds.apiSecret)) {
      throw new CloudinaryError(401, `Invalid Signature ${params.signature}. String to sign - '${toSign}'.`);
    }
    const nowS = Math.floor(this.now() / 1000);
    if (nowS - ts > MAX_TIMESTAMP_AGE_S) {
      throw new CloudinaryError(400, `Stale request - reported time is ${new Date(ts * 1000).toISOString()} which is more than 1 hour ago`);
    }

    const source = this.readSource(params.file, filePart);
    const folder = (params.folder ?? params.asset_folder ?? '').replace(/^\/+|\/+$/g, '');
    let publicId = (params.public_id ?? '').replace(/^\/+|\/+$/g, '') || base62(20).toLowerCase();
    if (!/^[A-Za-z0-9_\-./ ]{1,255}$/.test(publicId) || publicId.includes('..')) throw new CloudinaryError(400, `Invalid public_id - ${publicId}`);
    if (folder) publicId = `${folder}/${publicId}`;
    const format = params.format ? (params.format === 'jpeg' ? 'jpg' : params.format) : source.format;

    let eager: Variant[] = [];
    try {
      eager = (params.eager ?? '')
        .split('|')
        .filter(Boolean)
        .map((t) => applyTransformation(t, source.width, source.height, format));
    } catch (err) {
      if (err instanceof TransformationError) throw new CloudinaryError(400, err.message);
      throw err;
    }

    const version = nowS;
    const url = (transformation: string, fmt: string) =>
      [this.ctx.publicUrl(), cloud, 'image', 'upload', transformation, `v${version}`, `${publicId}.${fmt}`].filter(Boolean).join('/');
    const uploadedAt = new Date(this.now()).toISOString();
    const upload: Upload = {
      publicId,
      version,
      format,
      width: source.width,
      height: source.height,
      bytes: source.data?.length ?? 0,
      data: source.data,
      source: source.label,
      secureUrl: url('', format),
      eager: eager.map((v) => ({ ...v, secureUrl: url(v.urlTransformation, v.format) })),
      uploadedAt,
    };
    this.uploads.set(publicId, upload);
    this.uploadCount += 1;

    return reply.send({
      asset_id: randomBytes(16).toString('hex'),
      public_id: publicId,
      version,
      version_id: randomBytes(16).toString('hex'),
      // Cloudinary signs public_id and version so clients can check the response.
      signature: createHash('sha1').update(`public_id=${publicId}&version=${version}${this.creds.apiSecret}`).digest('hex'),
      width: upload.width,
      height: upload.height,
      format,
      resource_type: 'image',
      created_at: uploadedAt.replace(/\.\d{3}Z$/, 'Z'),
      tags: params.tags ? params.tags.split(',') : [],
      bytes: upload.bytes,
      type: 'upload',
      etag: createHash('md5').update(source.data ?? source.label).digest('hex'),
      placeholder: false,
      url: upload.secureUrl,
      secure_url: upload.secureUrl,
      asset_folder: folder,
      display_name: publicId.split('/').pop(),
      original_filename: source.originalFilename,
      ...(upload.eager.length
        ? { eager: upload.eager.map((e) => ({ transformation: e.transformation, width: e.width, height: e.height, bytes: 0, format: e.format, url: e.secureUrl, secure_url: e.secureUrl })) }
        : {}),
      api_key: this.creds.apiKey,
    });
  }

  /** Upload parameters from a multipart, urlencoded or JSON body (Cloudinary accepts all three). */
  private async readParams(req: FastifyRequest): Promise<{ params: Record<string, string>; filePart?: { data: Buffer; filename: string } }> {
    const params: Record<string, string> = {};
    let filePart: { data: Buffer; filename: string } | undefined;
    if (req.isMultipart()) {
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          const data = await part.toBuffer();
          if (part.fieldname === 'file') filePart = { data, filename: part.filename };
        } else {
          params[part.fieldname] = String(part.value);
        }
      }
    } else if (req.body && typeof req.body === 'object') {
      for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) {
        if (v === null || v === undefined) continue;
        params[k] = Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v);
      }
    }
    return { params, filePart };
  }

  private readSource(file: string | undefined, filePart?: { data: Buffer; filename: string }) {
    const fromBytes = (data: Buffer, label: string, originalFilename: string) => {
      const info = sniffImage(data);
      if (!info) throw new CloudinaryError(400, 'Invalid image file');
      return { ...info, data, label, originalFilename };
    };
    if (filePart) return fromBytes(filePart.data, 'file', filePart.filename.replace(/\.[^.]*$/, '') || 'file');
    if (!file) throw new CloudinaryError(400, 'Missing required parameter - file');
    const dataUri = /^data:([\w/+.-]+)?(;[\w=-]+)*;base64,([A-Za-z0-9+/=\s]*)$/.exec(file);
    if (dataUri) return fromBytes(Buffer.from(dataUri[3], 'base64'), 'data-uri', 'file');
    let url: URL;
    try {
      url = new URL(file);
    } catch {
      throw new CloudinaryError(400, 'Invalid image file');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CloudinaryError(400, `Unsupported source URL: ${file.slice(0, 100)}`);
    const name = url.pathname.split('/').pop() ?? '';
    const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1].toLowerCase();
    const format = ext === 'jpeg' ? 'jpg' : ext && ext in MIME ? ext : 'jpg';
    return { format, ...REMOTE_DIMENSIONS, data: undefined, label: file, originalFilename: name.replace(/\.[^.]*$/, '') || 'file' };
  }

  /** Delivery URLs: the original bytes when untransformed, otherwise a small PNG stand-in. */
  private serve(req: FastifyRequest, reply: FastifyReply) {
    const { cloud, '*': rest } = req.params as { cloud: string; '*': string };
    if (cloud !== this.creds.cloudName) return reply.status(404).header('x-cld-error', 'Resource not found').send();
    const segments = rest.split('/').filter(Boolean);
    for (let i = 0; i < segments.length; i++) {
      const tail = segments.slice(i);
      const versioned = /^v\d+$/.test(tail[0] ?? '') && tail.length > 1;
      const idWithExt = (versioned ? tail.slice(1) : tail).join('/');
      const publicId = idWithExt.replace(/\.[a-z0-9]+$/i, '');
      const upload = this.uploads.get(publicId);
      if (!upload) continue;
      const transformation = segments.slice(0, i).join('/');
      reply.header('x-sandbox-transformation', transformation).header('x-sandbox-public-id', publicId).header('cache-control', 'public, max-age=60');
      if (!transformation && upload.data) return reply.type(MIME[upload.format] ?? 'application/octet-stream').send(upload.data);
      let size = { width: upload.width, height: upload.height };
      if (transformation) {
        try {
          size = applyTransformation(transformation, upload.width, upload.height, upload.format);
        } catch {
          return reply.status(400).header('x-cld-error', 'Invalid transformation').send();
        }
      }
      reply.header('x-sandbox-width', String(size.width)).header('x-sandbox-height', String(size.height));
      return reply.type('image/png').send(this.placeholder());
    }
    return reply.status(404).header('x-cld-error', 'Resource not found').send();
  }

  private placeholder(): Buffer {
    let png = this.placeholders.get('1x1');
    if (!png) this.placeholders.set('1x1', (png = solidPng(1, 1)));
    return png;
  }
}
