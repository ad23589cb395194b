import '../support/test-env';
import { MediaService, MediaUploadError } from '@hub/media';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import type { RunningSandbox } from '../sandbox/sandbox-harness';
import { CatalogWorkerStack, startCatalogStack } from './support/catalog-stack';

describe('media: each image uploaded once, without holding database connections during the upload', () => {
  let stack: CatalogWorkerStack;
  let sb: RunningSandbox;
  let media: MediaService;
  let ds: DataSource;

  before(async () => {
    // A small pool: more concurrent uploads of one image than connections. No api, so `ds` is the
    // worker's connection, the pool the uploads must leave free.
    stack = await startCatalogStack('media', { api: false, env: { DB_POOL_SIZE: '4' } });
    ({ sb, ds } = stack);
    media = stack.worker.get(MediaService, { strict: false });
  });
  after(async () => {
    await stack?.close();
  });

  // Bounded, so a pool deadlock (the old lock-held-during-upload design, with the vault reading the
  // credential through a fifth connection) fails the test instead of hanging it.
  const within = <T>(ms: number, p: Promise<T>, what: string) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms).unref())]);
  const uploads = async () => (await sb.state()).cloudinary.uploadCount as number;
  const claims = async () => (await ds.query(`SELECT count(*)::int AS n FROM media_upload_claims`))[0].n as number;

  it('12 concurrent callers for one image on a 4-connection pool: one upload, the pool stays free while Cloudinary works', async () => {
    await sb.call('POST', '/_sandbox/reset');
    await sb.fault({ partner: 'cloudinary', kind: 'latency', ms: 1500, count: 1 });
    const url = 'https://images.novaskin.example/test/pool.jpg';
    const calls = Array.from({ length: 12 }, () => media.ensureUploaded('NS-MEDIA-POOL', url));
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await within(3000, ds.query(`SELECT 1`), 'a query during the upload');
    const waited = Date.now() - started;
    assert.equal(await uploads(), 0, 'the upload is still in flight');
    assert.ok(waited < 500, `a query waited ${waited} ms for a pool connection during the upload`);
    const assets = await within(15_000, Promise.all(calls), 'the 12 callers');
    assert.equal(new Set(assets.map((a) => a.publicId)).size, 1);
    assert.deepEqual(assets[0].publicId, MediaService.publicIdFor('NS-MEDIA-POOL', url));
    assert.equal(await uploads(), 1);
    assert.equal(await claims(), 0);
    // Later callers reuse the stored asset.
    await media.ensureUploaded('NS-MEDIA-POOL', url);
    assert.equal(await uploads(), 1);
  });

  it('a failed upload releases its claim (the next try uploads), and an expired claim is taken over', async () => {
    await sb.call('POST', '/_sandbox/reset');
    await sb.fault({ partner: 'cloudinary', kind: 'server-error', status: 503, count: 1 });
    const url = 'https://images.novaskin.example/test/retry.jpg';
    await assert.rejects(media.ensureUploaded('NS-MEDIA-RETRY', url), (err: unknown) => err instanceof MediaUploadError && err.retryable && !err.credentialRejected);
    assert.equal(await claims(), 0);
    await media.ensureUploaded('NS-MEDIA-RETRY', url);
    assert.equal(await uploads(), 1);

    // A holder that died long ago: its claim has expired.
    const stale = 'https://images.novaskin.example/test/stale.jpg';
    await ds.query(`INSERT INTO media_upload_claims (sku, source_url, token, expires_at) VALUES ('NS-MEDIA-RETRY', $1, gen_random_uuid(), now() - interval '1 second')`, [stale]);
    const asset = await media.ensureUploaded('NS-MEDIA-RETRY', stale);
    assert.ok(asset.variants.amazon);
    assert.equal(await uploads(), 2);
    assert.equal(await claims(), 0);
  });

  it('a refused credential comes back flagged credentialRejected (the publish job pauses on that flag), not retryable', async () => {
    await sb.call('POST', '/_sandbox/reset');
    await sb.fault({ partner: 'cloudinary', kind: 'reject-credentials' });
    try {
      const url = 'https://images.novaskin.example/test/refused.jpg';
      await assert.rejects(media.ensureUploaded('NS-MEDIA-REFUSED', url), (err: unknown) => {
        assert.ok(err instanceof MediaUploadError, String(err));
        assert.equal(err.credentialRejected, true);
        assert.equal(err.retryable, false);
        assert.ok(err.httpCode === 401 || err.httpCode === 403, `httpCode ${err.httpCode}`);
        return true;
      });
      assert.equal(await claims(), 0);
    } finally {
      await sb.call('DELETE', '/_sandbox/faults');
    }
  });
});
