import '../support/test-env';
import { MediaService } from '@hub/media';
import type { INestApplicationContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningApi } from '../support/hub-harness';
import type { RunningSandbox } from '../sandbox/sandbox-harness';
import { CatalogStack, startCatalogStack } from './support/catalog-stack';

/** The sandbox's Cloudinary account when the environment names none (.env.example's values). */
const SANDBOX_CLOUDINARY = { cloudName: 'novaskin-fake', apiKey: '111111111111111', apiSecret: 'fake-cloudinary-secret-0001' };

describe('Cloudinary API base: vault verification and media uploads go to CLOUDINARY_API_URL when CLOUDINARY_URL is unset', () => {
  let stack: CatalogStack;
  let sb: RunningSandbox;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let admin: Record<string, string>;

  before(async () => {
    stack = await startCatalogStack('cldbase', {
      // After first boot the vault is the only source of credentials, so an operator removes
      // CLOUDINARY_URL; the sandbox then serves its own (fallback) Cloudinary account.
      env: { CLOUDINARY_URL: undefined },
      partners: (sandboxUrl) => ({ CLOUDINARY_API_URL: sandboxUrl }),
    });
    ({ sb, api, worker, admin } = stack);
  });
  after(async () => {
    // Also takes CLOUDINARY_API_URL out again, and puts CLOUDINARY_URL back.
    await stack?.close();
  });

  const put = (fields: unknown) => fetch(`${api.url}/v1/vault/credentials/cloudinary`, { method: 'PUT', headers: admin, body: JSON.stringify({ fields }) });

  it('verifies a new Cloudinary credential against the configured base, then uploads there with it', async () => {
    // A refusal only this sandbox gives proves where the verification ping went.
    await sb.fault({ partner: 'cloudinary', kind: 'reject-credentials', count: 1 });
    const refused = await put(SANDBOX_CLOUDINARY);
    assert.equal(refused.status, 422, await refused.clone().text());
    assert.match(((await refused.json()) as any).error, /HTTP 401 Invalid credentials/);

    const accepted = await put(SANDBOX_CLOUDINARY);
    assert.equal(accepted.status, 201, await accepted.clone().text());
    const body: any = await accepted.json();
    assert.deepEqual(body.verification, { ok: true });
    assert.equal(body.credential.status, 'current');

    const media = worker.get(MediaService, { strict: false });
    const url = 'https://images.novaskin.example/test/api-base.jpg';
    const asset = await media.ensureUploaded('NS-CLOUDINARY-BASE', url);
    const state = (await sb.state()).cloudinary;
    assert.equal(state.uploadCount, 1);
    assert.ok(state.uploads[asset.publicId], `the sandbox holds ${asset.publicId}`);
    assert.ok(asset.secureUrl.startsWith(`${sb.url}/${SANDBOX_CLOUDINARY.cloudName}/`), asset.secureUrl);
  });
});
