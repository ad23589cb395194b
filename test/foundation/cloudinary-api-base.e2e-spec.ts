import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigValidationError, loadConfig } from '@hub/core';
import { MediaConfig } from '@hub/media';
import { VaultConfig } from '@hub/vault';

const KEY = 'cloudinary://111111111111111:fake-secret-0001@novaskin-fake';

/** The base each side resolves from one environment: they must never disagree. */
function bases(env: Record<string, string>): string {
  const vault = loadConfig(VaultConfig, env).cloudinaryApiBase();
  const media = loadConfig(MediaConfig, env).cloudinaryApiBase();
  assert.equal(vault, media, 'the vault verifies against another Cloudinary than media uploads to');
  return vault;
}

describe('Cloudinary API base (vault verification and media uploads)', () => {
  it('defaults to the sandbox, like the other partner URLs, when neither variable is set', () => {
    assert.equal(bases({}), 'http://127.0.0.1:4010');
  });

  it('takes CLOUDINARY_API_URL first, over any upload_prefix', () => {
    assert.equal(bases({ CLOUDINARY_API_URL: 'https://api.cloudinary.com/' }), 'https://api.cloudinary.com');
    assert.equal(bases({ CLOUDINARY_API_URL: 'http://127.0.0.1:4555', CLOUDINARY_URL: `${KEY}?upload_prefix=https://api-eu.cloudinary.com` }), 'http://127.0.0.1:4555');
  });

  it("keeps existing installs: CLOUDINARY_URL's upload_prefix when CLOUDINARY_API_URL is unset, else the SDK's own default", () => {
    assert.equal(bases({ CLOUDINARY_URL: `${KEY}?upload_prefix=http://127.0.0.1:4010/` }), 'http://127.0.0.1:4010');
    assert.equal(bases({ CLOUDINARY_URL: KEY }), 'https://api.cloudinary.com');
  });

  it('refuses a malformed base or CLOUDINARY_URL at boot, naming the variable and never printing the secret', () => {
    for (const Config of [VaultConfig, MediaConfig]) {
      for (const [env, variable] of [
        [{ CLOUDINARY_API_URL: 'api.cloudinary.com' }, 'CLOUDINARY_API_URL'],
        [{ CLOUDINARY_API_URL: 'ftp://api.cloudinary.com' }, 'CLOUDINARY_API_URL'],
        [{ CLOUDINARY_URL: `${KEY}?upload_prefix=api.cloudinary.com` }, 'CLOUDINARY_URL'],
        [{ CLOUDINARY_URL: 'https://111111111111111:fake-secret-0001@novaskin-fake' }, 'CLOUDINARY_URL'],
      ] as const) {
        assert.throws(
          () => loadConfig(Config, env),
          (err: unknown) => err instanceof ConfigValidationError && err.problems.map((p) => p.variable).join() === variable && !err.message.includes('fake-secret-0001'),
          `${Config.name} ${JSON.stringify(env)}`,
        );
      }
    }
  });
});
