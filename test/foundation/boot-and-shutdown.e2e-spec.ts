import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, spawnEntry } from '../support/processes';
import { startPrivateRedis, PrivateRedis } from '../support/private-redis';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env';

describe('process boot checks and graceful shutdown', () => {
  let db: TestDatabase;
  let lruRedis: PrivateRedis;

  before(async () => {
    db = await createTestDatabase('boot');
    lruRedis = await startPrivateRedis(['--maxmemory-policy', 'allkeys-lru']);
  });
  after(async () => {
    await lruRedis?.stop();
    await db?.drop();
  });

  for (const entry of ['apps/api/src/main.js', 'apps/worker/src/main.js']) {
    it(`${entry}: a malformed DATABASE_URL stops boot with a message naming DATABASE_URL`, async () => {
      const p = spawnEntry(entry, testEnv({ DATABASE_URL: 'not a url', PORT: String(await freePort()) }));
      const code = await p.exited;
      assert.notEqual(code, 0);
      assert.match(p.output(), /DATABASE_URL/);
      assert.doesNotMatch(p.output(), /not a url/, 'the value itself is sensitive and must not be printed');
    });

    it(`${entry}: an unreachable Postgres stops boot with a message naming DATABASE_URL`, async () => {
      const deadPort = await freePort();
      const p = spawnEntry(entry, testEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:${deadPort}/nope`, PORT: String(await freePort()) }));
      const code = await p.exited;
      assert.notEqual(code, 0);
      assert.match(p.output(), /DATABASE_URL/);
    });

    it(`${entry}: a Redis without noeviction is refused with a message saying how to fix it`, async () => {
      const p = spawnEntry(entry, testEnv({ REDIS_URL: lruRedis.url, PORT: String(await freePort()) }));
      const code = await p.exited;
      assert.notEqual(code, 0);
      assert.match(p.output(), /maxmemory-policy/);
      assert.match(p.output(), /noeviction/);
      assert.match(p.output(), /allkeys-lru/);
    });
  }

  it('a worker whose metrics port is taken stops boot saying which variable to change', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (taken.address() as { port: number }).port;
      const p = spawnEntry('apps/worker/src/main.js', testEnv({ DATABASE_URL: db.url, WORKER_METRICS_PORT: String(port) }));
      assert.notEqual(await p.exited, 0);
      assert.match(p.output(), new RegExp(`WORKER_METRICS_PORT ${port} on 127\\.0\\.0\\.1 is already in use`));
      // By default the worker has no HTTP server at all (CONTRACT): the same port is no obstacle,
      // and with a free one (logged at info when it listens) nothing listens either.
      for (const metricsPort of [String(port), '0']) {
        const quiet = spawnEntry('apps/worker/src/main.js', testEnv({ DATABASE_URL: db.url, WORKER_METRICS_PORT: metricsPort, WORKER_METRICS_ENABLED: '', LOG_LEVEL: 'info' }));
        try {
          await quiet.waitFor(/worker started/, 30_000);
          assert.doesNotMatch(quiet.output(), /metrics listening/);
        } finally {
          await quiet.kill('SIGTERM');
        }
      }
    } finally {
      taken.close();
    }
  });

  it('a missing required secret names the variable', async () => {
    const p = spawnEntry('apps/api/src/main.js', testEnv({ HUB_MASTER_KEYS: undefined, PORT: String(await freePort()) }));
    assert.notEqual(await p.exited, 0);
    assert.match(p.output(), /HUB_MASTER_KEYS: is required/);
  });

  it('SIGTERM during an in-flight request lets it finish, then the process exits cleanly', async () => {
    const port = await freePort();
    const p = spawnEntry('test/support/entries/slow-api.main.js', testEnv({ PORT: String(port) }));
    await p.waitFor(/slow api listening/);
    const pending = fetch(`http://127.0.0.1:${port}/__test/slow`).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    await p.waitFor(/slow request started/);
    p.child.kill('SIGTERM');
    const res = await pending;
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { finished: true });
    const code = await p.exited;
    assert.ok(code === 0 || code === null, `exit code ${code}`);
    // Once closed, it no longer accepts connections.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health/live`));
  });
});
