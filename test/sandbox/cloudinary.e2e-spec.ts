import '../support/test-env';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sniffImage, solidPng } from '../../apps/partner-sandbox/src/partners/cloudinary/image-bytes';
import { sign, stringToSign } from '../../apps/partner-sandbox/src/partners/cloudinary/signature';
import { RunningSandbox, startSandbox } from './sandbox-harness';

const EAGER = 'c_pad,w_2000,h_2000,b_white|c_fill,w_800,h_800|c_thumb,w_400,h_400';

describe('cloudinary signature algorithm', () => {
  it("matches Cloudinary's documented example (SHA-1 of sorted params + secret)", () => {
    const params = { public_id: 'sample_image', timestamp: '1315060510', eager: 'w_400,h_300,c_pad|w_260,h_200,c_crop', api_key: '1234', file: 'x' };
    assert.equal(stringToSign(params), 'eager=w_400,h_300,c_pad|w_260,h_200,c_crop&public_id=sample_image&timestamp=1315060510');
    assert.equal(sign(stringToSign(params), 'abcd'), 'bfd09f95f331f558cbd1320e67aa8d488770583e');
  });
});

describe('cloudinary sandbox through the real cloudinary SDK', () => {
  let sb: RunningSandbox;
  let cloudinary: typeof import('cloudinary');
  const png = solidPng(640, 480, [200, 120, 180]);
  const dataUri = `data:image/png;base64,${png.toString('base64')}`;

  before(async () => {
    sb = await startSandbox();
    // The SDK picks http/https and the host from CLOUDINARY_URL when it is first loaded.
    const u = new URL(process.env.CLOUDINARY_URL!);
    u.searchParams.set('upload_prefix', sb.url);
    process.env.CLOUDINARY_URL = u.toString();
    cloudinary = await import('cloudinary');
  });
  after(() => sb?.close());
  beforeEach(async () => {
    await sb.call('POST', '/_sandbox/reset');
  });

  it('uploads a data URI with eager transforms and returns Cloudinary’s response shape', async () => {
    const res: any = await cloudinary.v2.uploader.upload(dataUri, { public_id: 'NS-SERUM-30', folder: 'products', eager: EAGER.split('|').map((raw) => ({ raw_transformation: raw })) });
    assert.equal(res.public_id, 'products/NS-SERUM-30');
    assert.equal(res.width, 640);
    assert.equal(res.height, 480);
    assert.equal(res.format, 'png');
    assert.equal(res.resource_type, 'image');
    assert.equal(res.type, 'upload');
    assert.equal(res.bytes, png.length);
    assert.equal(typeof res.version, 'number');
    assert.match(res.asset_id, /^[0-9a-f]{32}$/);
    assert.match(res.signature, /^[0-9a-f]{40}$/);
    assert.ok(!Number.isNaN(Date.parse(res.created_at)));
    assert.equal(res.secure_url, `${sb.url}/novaskin-test/image/upload/v${res.version}/products/NS-SERUM-30.png`);
    assert.deepEqual(res.eager.map((e: any) => [e.transformation, e.width, e.height]), [
      ['c_pad,w_2000,h_2000,b_white', 2000, 2000],
      ['c_fill,w_800,h_800', 800, 800],
      ['c_thumb,w_400,h_400', 400, 400],
    ]);
    assert.equal(res.eager[1].secure_url, `${sb.url}/novaskin-test/image/upload/c_fill,w_800,h_800/v${res.version}/products/NS-SERUM-30.png`);

    // The URLs it hands out are served: the original bytes, and an image per variant.
    const original = await fetch(res.secure_url);
    assert.equal(original.status, 200);
    assert.equal(original.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await original.arrayBuffer()), png);
    const variant = await fetch(res.eager[0].secure_url);
    assert.equal(variant.status, 200);
    assert.equal(variant.headers.get('x-sandbox-transformation'), 'c_pad,w_2000,h_2000,b_white');
    assert.equal(variant.headers.get('x-sandbox-width'), '2000');
    assert.ok(sniffImage(Buffer.from(await variant.arrayBuffer())), 'variant body is a real image');
    assert.equal((await fetch(`${sb.url}/novaskin-test/image/upload/v1/products/NOPE.png`)).status, 404);

    const st = (await sb.state()).cloudinary;
    assert.equal(st.uploadCount, 1);
    const u = st.uploads['products/NS-SERUM-30'];
    assert.equal(u.secure_url, res.secure_url);
    assert.deepEqual(u.eager.map((e: any) => e.transformation), EAGER.split('|'));
    assert.equal(u.source, 'data-uri');
  });

  it('accepts SHA-256 signatures (signature_algorithm: sha256)', async () => {
    const res: any = await cloudinary.v2.uploader.upload(dataUri, { public_id: 'sha256-signed', signature_algorithm: 'sha256' } as any);
    assert.equal(res.public_id, 'sha256-signed');
    await assert.rejects(cloudinary.v2.uploader.upload(dataUri, { public_id: 'x', signature_algorithm: 'sha256', api_secret: 'nope' } as any), (err: any) => err.http_code === 401);
  });

  it('uploads a local file as a multipart file part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cld-'));
    const file = join(dir, 'cream.png');
    writeFileSync(file, solidPng(300, 200));
    const res: any = await cloudinary.v2.uploader.upload(file, { public_id: 'cream' }).finally(() => rmSync(dir, { recursive: true }));
    assert.deepEqual([res.width, res.height, res.format, res.original_filename], [300, 200, 'png', 'cream']);
    assert.equal((await sb.state()).cloudinary.uploads.cream.source, 'file');
  });

  it('records a remote URL source without fetching it', async () => {
    const res: any = await cloudinary.v2.uploader.upload('https://img.example.test/serum.jpeg', { public_id: 'remote-1', eager: [{ raw_transformation: 'c_fill,w_800,h_800' }] });
    assert.equal(res.format, 'jpg');
    assert.equal(res.eager[0].width, 800);
    assert.equal((await sb.state()).cloudinary.uploads['remote-1'].source, 'https://img.example.test/serum.jpeg');
  });

  it('rejects a request signed with the wrong secret: 401 Invalid Signature with the string to sign', async () => {
    await assert.rejects(cloudinary.v2.uploader.upload(dataUri, { public_id: 'x', api_secret: 'not-the-secret' }), (err: any) => {
      assert.equal(err.http_code, 401);
      assert.match(err.message, /^Invalid Signature [0-9a-f]{40}\. String to sign - 'public_id=x&timestamp=\d+'\.$/);
      return true;
    });
    assert.equal((await sb.state()).cloudinary.uploadCount, 0);
  });

  it('answers bad input with Cloudinary 400 errors and nothing stored', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const signed = (p: Record<string, string>) => ({ ...p, api_key: '222222222222222', signature: sign(stringToSign(p), 'test-cloudinary-secret') });
    const post = (p: Record<string, string>) => sb.call('POST', '/v1_1/novaskin-test/image/upload', p);
    const noFile = await post(signed({ timestamp: String(ts) }));
    assert.equal(noFile.status, 400);
    assert.equal(noFile.body.error.message, 'Missing required parameter - file');
    const notImage = await post(signed({ timestamp: String(ts), file: `data:image/png;base64,${Buffer.from('hello').toString('base64')}` }));
    assert.equal(notImage.body.error.message, 'Invalid image file');
    const badEager = await post(signed({ timestamp: String(ts), file: dataUri, eager: 'c_fill,w_abc' }));
    assert.equal(badEager.status, 400);
    assert.match(badEager.body.error.message, /width/);
    const stale = await post(signed({ timestamp: String(ts - 7200), file: dataUri }));
    assert.equal(stale.status, 400);
    assert.match(stale.body.error.message, /^Stale request/);
    const unsigned = await post({ timestamp: String(ts), file: dataUri, api_key: '222222222222222' });
    assert.equal(unsigned.status, 400);
    const unknownKey = await post({ ...signed({ timestamp: String(ts), file: dataUri }), api_key: '999' });
    assert.equal(unknownKey.status, 401);
    assert.equal(unknownKey.body.error.message, 'Unknown API key 999');
    // The same signed parameters as a form post work (Cloudinary accepts urlencoded too).
    const form = new URLSearchParams(signed({ timestamp: String(ts), file: dataUri, public_id: 'form-1' })).toString();
    const ok = await sb.call('POST', '/v1_1/novaskin-test/image/upload', form, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await sb.state()).cloudinary.uploadCount, 1);
  });

  it('ping verifies the API key and secret (Basic auth) and honours reject-credentials and rate-limit faults', async () => {
    assert.deepEqual(await cloudinary.v2.api.ping(), { status: 'ok' });
    const basic = (k: string, s: string) => ({ authorization: `Basic ${Buffer.from(`${k}:${s}`).toString('base64')}` });
    const bad = await sb.call('GET', '/v1_1/novaskin-test/ping', undefined, basic('222222222222222', 'wrong'));
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error.message, 'Invalid credentials');

    await sb.fault({ partner: 'cloudinary', kind: 'reject-credentials' });
    await assert.rejects(cloudinary.v2.api.ping(), (err: any) => err.error?.http_code === 401 || err.http_code === 401);
    await assert.rejects(cloudinary.v2.uploader.upload(dataUri), (err: any) => err.http_code === 401 && /Invalid Signature/.test(err.message));
    await sb.call('DELETE', '/_sandbox/faults');

    await sb.fault({ partner: 'cloudinary', kind: 'rate-limit', retryAfterSeconds: 4, count: 1 });
    const limited = await sb.call('GET', '/v1_1/novaskin-test/ping', undefined, basic('222222222222222', 'test-cloudinary-secret'));
    assert.equal(limited.status, 420);
    assert.equal(limited.headers.get('retry-after'), '4');
    assert.equal(limited.body.error.message, 'Rate Limit Exceeded');
    assert.deepEqual(await cloudinary.v2.api.ping(), { status: 'ok' });
  });
});
