import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, spawnEntry, Spawned, waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env';

describe('access logs', () => {
  let db: TestDatabase;
  let api: Spawned;
  let url: string;

  before(async () => {
    db = await createTestDatabase('logs');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = spawnEntry('apps/api/src/main.js', testEnv({ PORT: String(port), LOG_LEVEL: 'info', LOG_REQUESTS: 'true' }));
    await api.waitFor(/api listening/);
  });
  after(async () => {
    await api?.kill();
    await db?.drop();
  });

  it('writes one structured line per request with its id, route, status and timing, and no credentials', async () => {
    const secretish = 'nsk_live_AAAAAAAAAAAA_' + 'S'.repeat(38);
    const res = await fetch(`${url}/health/live?probe=1`, { headers: { authorization: `Bearer ${secretish}`, 'x-request-id': 'log-test-0001' } });
    assert.equal(res.status, 200);
    const line = await waitUntil(() => api.output().split('\n').find((l) => l.includes('"requestId":"log-test-0001"')), 5000);
    const entry = JSON.parse(line);
    assert.equal(entry.msg, 'request completed');
    assert.equal(entry.method, 'GET');
    assert.equal(entry.route, '/health/live');
    assert.equal(entry.status, 200);
    assert.equal(typeof entry.ms, 'number');
    assert.doesNotMatch(api.output(), /S{20}/, 'the Authorization header never reaches the logs');
  });
});
