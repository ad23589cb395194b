import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '@hub/api-keys';
import { callApi, createTestKey } from '../support/api-keys';
import { RunningApi, startApi, startWorker } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { AnalyticsProbeModule, flushUsage, keyIdOf, probe } from './support/analytics-probe';

describe('key alerts: zombie, silent, anomaly, error rate and quota-near open from the evaluation and resolve when the condition clears', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let ds: DataSource;
  let admin: string;

  before(async () => {
    db = await createTestDatabase('keyalerts');
    process.env.ALERTS_EVALUATE_EVERY_MS = '300';
    process.env.API_KEY_LAST_USED_FLUSH_MS = '50';
    // Nothing of the vault's is under test here.
    process.env.AMAZON_NOTIFICATIONS_POLL_MS = '3600000';
    process.env.VAULT_RECHECK_EVERY_MS = '3600000';
    api = await startApi({ extraModules: [AnalyticsProbeModule] });
    worker = await startWorker();
    ds = api.app.get(DataSource);
    admin = await createTestKey(api.app, { scopes: 'all', name: 'admin' });
  });
  after(async () => {
    for (const v of ['ALERTS_EVALUATE_EVERY_MS', 'API_KEY_LAST_USED_FLUSH_MS', 'AMAZON_NOTIFICATIONS_POLL_MS', 'VAULT_RECHECK_EVERY_MS']) delete process.env[v];
    await worker?.close();
    await api?.close();
    await db?.drop();
  });

  const openAlert = async (kind: string, subject: string) => {
    const res = await callApi(api.url, 'GET', `/v1/alerts?status=open&kind=${kind}`, admin);
    assert.equal(res.status, 200, res.text);
    return res.body.data.find((a: any) => a.subject === subject);
  };
  const opens = (kind: string, subject: string, severity?: string) =>
    waitUntil(async () => {
      const a = await openAlert(kind, subject);
      return a && (!severity || a.severity === severity) ? a : undefined;
    }, 15_000, 100);
  const resolves = (kind: string, subject: string) => waitUntil(async () => !(await openAlert(kind, subject)), 15_000, 100);
  /** Several evaluations (every 300 ms) later, still none open. */
  const staysClosed = async (kind: string, subject: string) => {
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await openAlert(kind, subject), undefined, `${kind} ${subject} opened`);
  };
  const flags = async (keyId: string) => {
    const res = await callApi(api.url, 'GET', '/v1/analytics/keys?limit=200', admin);
    const k = res.body.data.find((x: any) => x.keyId === keyId);
    return { zombie: k.zombie, silent: k.silent };
  };

  it('key-zombie: opens for an active key 31 days old that was never used (the analytics flag agrees) and resolves once it is used', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'forgotten' });
    const id = keyIdOf(key);
    await staysClosed('key-zombie', id);
    await ds.query(`UPDATE api_keys SET created_at = now() - interval '31 days' WHERE key_id = $1`, [id]);
    const a = await opens('key-zombie', id);
    assert.equal(a.severity, 'warning');
    assert.equal(a.details.keyId, id);
    assert.equal(a.details.lastUsedAt, null);
    assert.match(a.message, /never been used/);
    assert.deepEqual(await flags(id), { zombie: true, silent: false });
    assert.equal((await probe(api.url, '/__analytics_probe/ok', key)).status, 200);
    await flushUsage(api.app);
    await resolves('key-zombie', id);
    assert.deepEqual(await flags(id), { zombie: false, silent: false });
  });

  it('key-silent: opens for a key that called on 6 of the 7 days before and not for 30 hours; resolves when it calls again', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'nightly sync' });
    const id = keyIdOf(key);
    await ds.query(`UPDATE api_keys SET created_at = now() - interval '20 days', last_used_at = now() - interval '30 hours' WHERE key_id = $1`, [id]);
    await ds.query(
      `INSERT INTO api_key_usage_hourly (key_id, hour, requests) SELECT $1, date_trunc('hour', now() - interval '31 hours' - d * interval '1 day'), 40 FROM generate_series(0, 5) d`,
      [id],
    );
    const a = await opens('key-silent', id);
    assert.equal(a.details.activeDays, 6);
    assert.deepEqual(await flags(id), { zombie: false, silent: true });
    assert.equal((await probe(api.url, '/__analytics_probe/ok', key)).status, 200);
    await flushUsage(api.app);
    await resolves('key-silent', id);
    assert.deepEqual(await flags(id), { zombie: false, silent: false });
  });

  it('key-anomaly: opens when an hour has over 5x the trailing 7-day hourly mean (and 100+ requests); resolves when it no longer does', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'partner feed' });
    const id = keyIdOf(key);
    await ds.query(`UPDATE api_keys SET created_at = now() - interval '10 days' WHERE key_id = $1`, [id]);
    // 10 requests in each of the 168 hours before the previous one: a mean of 10 an hour.
    await ds.query(
      `INSERT INTO api_key_usage_hourly (key_id, hour, requests) SELECT $1, date_trunc('hour', now()) - h * interval '1 hour', 10 FROM generate_series(2, 169) h`,
      [id],
    );
    await ds.query(`INSERT INTO api_key_usage_hourly (key_id, hour, requests) VALUES ($1, date_trunc('hour', now()), 49)`, [id]);
    await staysClosed('key-anomaly', id);
    await ds.query(`UPDATE api_key_usage_hourly SET requests = 500 WHERE key_id = $1 AND hour = date_trunc('hour', now())`, [id]);
    const a = await opens('key-anomaly', id);
    assert.equal(a.details.requests, 500);
    assert.equal(a.details.hourlyMean, 10);
    await ds.query(`UPDATE api_key_usage_hourly SET requests = 10 WHERE key_id = $1 AND hour >= date_trunc('hour', now()) - interval '1 hour'`, [id]);
    await resolves('key-anomaly', id);
  });

  it('key-error-rate: 20% 4xx+5xx over 20+ requests is a warning, 5% 5xx critical; resolves as the rate falls or the key is revoked', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'buggy client', limits: { burstPerSecond: 1000 } });
    const id = keyIdOf(key);
    for (let i = 0; i < 15; i++) await probe(api.url, '/__analytics_probe/ok', key);
    for (let i = 0; i < 5; i++) await probe(api.url, '/__analytics_probe/status/404', key);
    await flushUsage(api.app);
    const a = await opens('key-error-rate', id);
    assert.equal(a.severity, 'warning');
    assert.deepEqual([a.details.requests, a.details.errorRate, a.details.errors4xx], [20, 0.25, 5]);
    for (let i = 0; i < 10; i++) await probe(api.url, '/__analytics_probe/ok', key);
    await flushUsage(api.app);
    await resolves('key-error-rate', id); // 5 of 30: 16.7%

    const failing = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'unlucky client', limits: { burstPerSecond: 1000 } });
    const fid = keyIdOf(failing);
    for (let i = 0; i < 19; i++) await probe(api.url, '/__analytics_probe/ok', failing);
    await probe(api.url, '/__analytics_probe/status/503', failing);
    await flushUsage(api.app);
    const c = await opens('key-error-rate', fid);
    assert.equal(c.severity, 'critical');
    assert.equal(c.details.rate5xx, 0.05);
    await api.app.get(ApiKeysService, { strict: false }).revoke(fid, 'test');
    await resolves('key-error-rate', fid);
  });

  it('quota-near: opens at 80% of the period quota (the Redis counter), turns critical when exhausted, resolves when the quota is raised', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'metered', limits: { burstPerSecond: 1000, quota: { limit: 20, period: 'day' } } });
    const id = keyIdOf(key);
    for (let i = 0; i < 5; i++) assert.equal((await probe(api.url, '/__analytics_probe/ok', key)).status, 200);
    await staysClosed('quota-near', id);
    for (let i = 0; i < 12; i++) assert.equal((await probe(api.url, '/__analytics_probe/ok', key)).status, 200);
    const a = await opens('quota-near', id);
    assert.ok(a.details.used >= 16 && a.details.used <= 20, `used ${a.details.used}`);
    assert.equal(a.details.limit, 20);
    let status = 200;
    for (let i = 0; i < 10 && status === 200; i++) status = (await probe(api.url, '/__analytics_probe/ok', key)).status;
    assert.equal(status, 429, 'the quota ran out');
    const c = await opens('quota-near', id, 'critical');
    assert.equal(c.id, a.id, 'the same alert, escalated');
    await api.app.get(ApiKeysService, { strict: false }).patch(id, { limits: { burstPerSecond: 1000, quota: { limit: 1000, period: 'day' } } });
    await resolves('quota-near', id);
  });
});
