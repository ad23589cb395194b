import '../support/test-env';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { BUILD_ROOT, freePort, spawnEntry } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env';

const V1 = `v1:${randomBytes(32).toString('base64')}`;
const V2 = `v2:${randomBytes(32).toString('base64')}`;

function hub(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', resolve(BUILD_ROOT, 'apps/cli/src/main.js'), ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('vault master keys: rewrap, then removing the old key', () => {
  let db: TestDatabase;
  const env = (keys: string) => testEnv({ DATABASE_URL: db.url, HUB_MASTER_KEYS: keys, LOG_LEVEL: 'warn' });
  const fingerprints = async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(`SELECT partner || ':' || version || ':' || fingerprint AS f FROM vault_credential_versions ORDER BY partner, version`)).rows.map((r) => r.f as string);
    } finally {
      await c.end();
    }
  };
  const masterVersions = async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(`SELECT DISTINCT master_key_version AS v FROM vault_credential_versions ORDER BY 1`)).rows.map((r) => Number(r.v));
    } finally {
      await c.end();
    }
  };

  before(async () => {
    db = await createTestDatabase('rewrap');
  });
  after(async () => {
    await db?.drop();
  });

  it('imports the environment credentials once, under the only master key (v1), even when two processes boot together', async () => {
    const run = () =>
      new Promise<{ code: number | null; out: string }>((res) => {
        const c = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', resolve(BUILD_ROOT, 'apps/cli/src/main.js'), 'help'], { env: env(V1) });
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (out += d));
        c.on('exit', (code) => res({ code, out }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.code, 0, a.out);
    assert.equal(b.code, 0, b.out);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = (await c.query(`SELECT partner, version, status FROM vault_credential_versions ORDER BY partner`)).rows;
      assert.deepEqual(rows.map((r) => `${r.partner}:${r.version}:${r.status}`), ['amazon:1:current', 'cloudinary:1:current', 'nykaa:1:current', 'razorpay:1:current']);
      const audit = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'vault.credential.imported'`);
      assert.equal(audit.rows[0].n, 4);
    } finally {
      await c.end();
    }
  });

  it('refuses to boot without v1 while rows still need it, naming the missing version', async () => {
    assert.deepEqual(await masterVersions(), [1]);
    const api = spawnEntry('apps/api/src/main.js', { ...env(V2), PORT: String(await freePort()) });
    const code = await api.exited;
    assert.equal(code, 1);
    assert.match(api.output(), /HUB_MASTER_KEYS lacks master key v1, which still encrypts 4 stored credential version\(s\)/);
  });

  it('vault:rewrap moves every version to v2; with v1 removed every credential still decrypts', async () => {
    const before = await fingerprints();
    const r = hub(['vault:rewrap'], env(`${V1},${V2}`));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /re-encrypted 4 of 4 credential version\(s\) under master key v2/);
    assert.deepEqual(await masterVersions(), [2]);
    // A tiny command that decrypts everything through the vault, with only v2 available.
    const check = hub(['vault:rewrap'], env(V2));
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /re-encrypted 4 of 4/);
    // rewrap recomputes every fingerprint, once with v2 added and once with v1 gone: none changes.
    assert.deepEqual(await fingerprints(), before);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const audit = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'vault.rewrapped'`);
      assert.equal(audit.rows[0].n, 2);
    } finally {
      await c.end();
    }
  });
});
