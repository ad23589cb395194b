import '../support/test-env';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { BUILD_ROOT } from '../support/processes';
import { testEnv } from '../support/test-env';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const run = promisify(execFile);

describe('npm run hub -- catalog:import <file> (CLI child process)', () => {
  let db: TestDatabase;
  let dir: string;

  const cli = async (...args: string[]) =>
    (await run(process.execPath, ['--disable-warning=ExperimentalWarning', resolve(BUILD_ROOT, 'apps/cli/src/main.js'), ...args], { env: testEnv() }).catch(
      (e: { stdout: string; stderr: string; code: number }) => e,
    )) as { stdout: string; stderr: string; code?: number };

  before(async () => {
    db = await createTestDatabase('catalogcli');
    dir = mkdtempSync(join(tmpdir(), 'catalog-cli-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it('imports through the API service, prints counts and time, and counts re-imported SKUs as duplicates', async () => {
    const products = Array.from({ length: 5 }, (_, i) => ({
      sku: `NS-CLI-00${i}`,
      name: `NovaSkin CLI Test ${i}`,
      price: `${100 + i}.50`,
      currency: 'INR',
      stock: 10 + i,
      images: [`https://images.novaskin.example/cli/${i}.jpg`],
      category: 'serum',
      description: 'SAMPLE DATA - fictional',
    }));
    const file = join(dir, 'catalog.json');
    writeFileSync(file, JSON.stringify({ products }));

    const first = await cli('catalog:import', file);
    assert.equal(first.code ?? 0, 0, first.stderr);
    assert.match(first.stdout, /5 products read, 5 created, 0 already existed, 0 invalid; 15 publish jobs enqueued in \d+\.\d\d s/);

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const rows = (await pg.query(`SELECT p.sku, p.price::text AS price, i.on_hand FROM products p JOIN inventory_items i USING (sku) ORDER BY p.sku`)).rows;
      assert.deepEqual(rows.map((r) => [r.sku, r.price, r.on_hand]), products.map((p) => [p.sku, p.price, p.stock]));
      const pending = (await pg.query(`SELECT count(*)::int AS n FROM product_channels WHERE status = 'pending'`)).rows[0].n;
      assert.equal(pending, 15);
    } finally {
      await pg.end();
    }

    const again = await cli('catalog:import', file);
    assert.match(again.stdout, /5 products read, 0 created, 5 already existed, 0 invalid/);
  });

  it('reports invalid entries with their fields and exits non-zero; a missing file is a clear error', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify([{ sku: 'bad sku', name: 'x', price: -1, currency: 'XYZ', stock: 1, images: ['nope'], category: 'c', description: 'd' }]));
    const bad = await cli('catalog:import', file);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /1 invalid/);
    for (const field of ['sku', 'price', 'currency', 'images']) assert.match(bad.stdout, new RegExp(`${field}: `));

    // A null or non-object entry is one invalid entry, not a crash: the entries around it still import.
    const mixed = join(dir, 'mixed.json');
    const ok = (sku: string) => ({ sku, name: 'x', price: 10, currency: 'INR', stock: 1, images: ['https://images.novaskin.example/m.jpg'], category: 'c', description: 'd' });
    writeFileSync(mixed, JSON.stringify([ok('NS-CLI-MIX-1'), null, 'NS-CLI-MIX-2', ok('NS-CLI-MIX-3')]));
    const m = await cli('catalog:import', mixed);
    assert.equal(m.code, 1, m.stderr);
    assert.match(m.stdout, /4 products read, 2 created, 0 already existed, 2 invalid/);
    assert.match(m.stdout, /must be a product object/);

    const missing = await cli('catalog:import', join(dir, 'nope.json'));
    assert.notEqual(missing.code ?? 0, 0);
    assert.match(missing.stderr, /cannot read .*nope\.json/);
  });
});
