import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { AuditService, CoreConfig, loadConfig, redisOptionsFromUrl } from '@hub/core';
import { UsageRetentionService } from '@hub/api-keys';
import { ANALYTICS_QUEUE, PURGE_AUDIT_JOB, PURGE_USAGE_JOB } from '@hub/analytics';
import { Queue, QueueEvents } from 'bullmq';
import { DataSource } from 'typeorm';
import { startWorker } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const DAY = 86_400_000;

describe('retention: usage and audit events past their retention are purged by the worker', () => {
  let db: TestDatabase;
  let worker: INestApplicationContext;
  let ds: DataSource;
  let queue: Queue;
  let queueEvents: QueueEvents;

  before(async () => {
    db = await createTestDatabase('usageretention');
    process.env.USAGE_RETENTION_DAYS = '100';
    process.env.AUDIT_RETENTION_DAYS = '400';
    process.env.AUDIT_AUTH_FAILURE_RETENTION_DAYS = '30';
    worker = await startWorker();
    ds = worker.get(DataSource);
    const cfg = loadConfig(CoreConfig);
    const connection = redisOptionsFromUrl(cfg.REDIS_URL);
    queue = new Queue(ANALYTICS_QUEUE, { connection, prefix: `${cfg.REDIS_PREFIX}:bull` });
    queueEvents = new QueueEvents(ANALYTICS_QUEUE, { connection, prefix: `${cfg.REDIS_PREFIX}:bull` });
    await queueEvents.waitUntilReady();
    // The scheduler's first run starts at boot; let it finish so the rows below meet only our job.
    await waitUntil(async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'prioritized');
      return c.waiting + c.active + c.prioritized === 0;
    }, 10_000);
  });
  after(async () => {
    delete process.env.USAGE_RETENTION_DAYS;
    delete process.env.AUDIT_RETENTION_DAYS;
    delete process.env.AUDIT_AUTH_FAILURE_RETENTION_DAYS;
    await queueEvents?.close();
    await queue?.close();
    await worker?.close();
    await db?.drop();
  });

  const hoursAgo = (days: number, extraHours = 0) => {
    const t = Date.now() - days * DAY - extraHours * 3_600_000;
    return new Date(t - (t % 3_600_000));
  };
  const insertKeyHours = (rows: [string, Date][]) =>
    ds.query(`INSERT INTO api_key_usage_hourly (key_id, hour, requests) SELECT k, h, 1 FROM unnest($1::text[], $2::timestamptz[]) AS t(k, h)`, [rows.map((r) => r[0]), rows.map((r) => r[1])]);
  const insertRouteHours = (rows: [string, Date][]) =>
    ds.query(`INSERT INTO api_route_usage_hourly (route, hour, requests) SELECT r, h, 1 FROM unnest($1::text[], $2::timestamptz[]) AS t(r, h)`, [rows.map((r) => r[0]), rows.map((r) => r[1])]);

  it('the hourly job deletes key and route hours older than the retention and keeps the rest', async () => {
    await insertKeyHours([
      ['AAAAAAAAAAA1', hoursAgo(100, 2)],
      ['AAAAAAAAAAA1', hoursAgo(365)],
      ['AAAAAAAAAAA1', hoursAgo(99)],
      ['AAAAAAAAAAA2', hoursAgo(0)],
    ]);
    await insertRouteHours([
      ['GET /v1/products', hoursAgo(101)],
      ['GET /v1/products', hoursAgo(98)],
      ['GET /v1/orders/:id', hoursAgo(0)],
    ]);
    const job = await queue.add(PURGE_USAGE_JOB, {});
    const result = (await job.waitUntilFinished(queueEvents, 10_000)) as { keyHours: number; routeHours: number };
    assert.deepEqual(result, { keyHours: 2, routeHours: 1 });
    const keys: { key_id: string; days: number }[] = await ds.query(
      `SELECT key_id, floor(extract(epoch FROM now() - hour) / 86400)::int AS days FROM api_key_usage_hourly ORDER BY hour`,
    );
    assert.deepEqual(keys, [{ key_id: 'AAAAAAAAAAA1', days: 99 }, { key_id: 'AAAAAAAAAAA2', days: 0 }]);
    const routes: { route: string }[] = await ds.query(`SELECT route FROM api_route_usage_hourly ORDER BY hour`);
    assert.deepEqual(routes.map((r) => r.route), ['GET /v1/products', 'GET /v1/orders/:id']);
    const schedulers = await queue.getJobSchedulers();
    assert.ok(schedulers.some((s) => s.key === PURGE_USAGE_JOB), 'declared as a repeating job');
  });

  it('deletes in batches until nothing expired is left', async () => {
    await insertKeyHours(Array.from({ length: 7 }, (_, i) => [`BBBBBBBBBBB${i}`, hoursAgo(200, i)] as [string, Date]));
    await insertRouteHours(Array.from({ length: 3 }, (_, i) => [`GET /r${i}`, hoursAgo(150)] as [string, Date]));
    const purged = await worker.get(UsageRetentionService).purgeOlderThan(100, 2);
    assert.deepEqual(purged, { keyHours: 7, routeHours: 3 });
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM api_key_usage_hourly WHERE hour < now() - interval '100 days'`);
    assert.equal(n, 0);
  });

  it('the hourly purge-audit job deletes auth failures past their 30 days and other events past 400, and keeps the rest', async () => {
    const trail: [string, number, string][] = [
      ['key.auth-failed', 31, 'failure-old'],
      ['key.auth-failed', 29, 'failure-recent'],
      ['key.created', 31, 'created-recent'],
      ['key.revoked', 399, 'revoked-kept'],
      ['key.revoked', 401, 'revoked-old'],
      ['vault.credential.rotated', 800, 'vault-old'],
      ['product.created', 0, 'product-now'],
    ];
    await ds.query(
      `INSERT INTO audit_events (action, subject_id, occurred_at, last_at)
       SELECT a, s, now() - make_interval(days => d), now() - make_interval(days => d) FROM unnest($1::text[], $2::int[], $3::text[]) AS t(a, d, s)`,
      [trail.map((e) => e[0]), trail.map((e) => e[1]), trail.map((e) => e[2])],
    );
    const job = await queue.add(PURGE_AUDIT_JOB, {});
    const result = await job.waitUntilFinished(queueEvents, 10_000);
    assert.deepEqual(result, { authFailures: 1, events: 2 });
    const left: { subject_id: string }[] = await ds.query(`SELECT subject_id FROM audit_events WHERE subject_id = ANY($1) ORDER BY occurred_at`, [trail.map((e) => e[2])]);
    assert.deepEqual(left.map((r) => r.subject_id).sort(), ['created-recent', 'failure-recent', 'product-now', 'revoked-kept']);
    const schedulers = await queue.getJobSchedulers();
    assert.ok(schedulers.some((s) => s.key === PURGE_AUDIT_JOB), 'declared as a repeating job');
  });

  it('purges audit events in batches until nothing expired is left', async () => {
    await ds.query(`INSERT INTO audit_events (action, subject_id, occurred_at) SELECT 'key.auth-failed', 'batch-' || i, now() - interval '60 days' FROM generate_series(1, 7) AS i`);
    const purged = await worker.get(AuditService).purgeBefore(new Date(Date.now() - 30 * DAY), { actions: ['key.auth-failed'] }, 2);
    assert.equal(purged, 7);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM audit_events WHERE subject_id LIKE 'batch-%'`);
    assert.equal(n, 0);
  });
});
