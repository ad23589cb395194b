import '../support/test-env';
import type { INestApplicationContext } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { createSandboxApp, Sandbox } from '../../apps/partner-sandbox/src/create-sandbox-app';
import { AmazonNotificationsPoller } from '../../libs/vault/src/rotation/amazon-notifications.poller';
import { VAULT_QUEUE } from '../../libs/vault/src/constants';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi, startWorker } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const DAY = 86_400_000;

describe("Amazon's rotation notices (SQS-like queue in the sandbox)", () => {
  let db: TestDatabase;
  let sandbox: Sandbox;
  let sb: string;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let poller: AmazonNotificationsPoller;
  let key: string;

  before(async () => {
    db = await createTestDatabase('amznotice');
    sandbox = await createSandboxApp();
    sb = await sandbox.listen(0);
    Object.assign(process.env, {
      AMAZON_LWA_URL: `${sb}/auth/o2/token`,
      AMAZON_SPAPI_URL: sb,
      NYKAA_API_URL: `${sb}/nykaa`,
      AMAZON_NOTIFICATIONS_URL: `${sb}/_sqs/amazon-notifications`,
      // The test drives each poll itself.
      AMAZON_NOTIFICATIONS_POLL_MS: '3600000',
      VAULT_RECHECK_EVERY_MS: '3600000',
    });
    api = await startApi();
    worker = await startWorker();
    poller = worker.get(AmazonNotificationsPoller, { strict: false });
    // The worker polls once as it boots (a BullMQ `every` scheduler runs its first job at once).
    // On a loaded machine that poll could run after a test queued its message and take it; wait
    // until both vault schedules have run their first job and only their next (delayed) ones remain.
    const queue = worker.get<Queue>(getQueueToken(VAULT_QUEUE), { strict: false });
    for (const t0 = Date.now(); ; ) {
      const c = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
      if (c.wait + c.active + c.prioritized === 0 && c.delayed >= 2) break;
      if (Date.now() - t0 > 20_000) throw new Error(`the worker's first vault jobs did not finish: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    key = await createTestKey(api.app, { scopes: 'all' });
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await sandbox?.close();
    await db?.drop();
  });

  const control = async (path: string, body: unknown = {}) => (await fetch(`${sb}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<any>;
  const amazon = async () => ((await (await fetch(`${api.url}/v1/vault/credentials`, { headers: bearer(key) })).json()) as any).data.find((p: any) => p.partner === 'amazon').versions as any[];
  const queued = async () => ((await (await fetch(`${sb}/_sandbox/state`)).json()) as any).amazon.notificationsQueued.total as number;
  const openAlerts = async () => ((await (await fetch(`${api.url}/v1/alerts?status=open`, { headers: bearer(key) })).json()) as any).data as any[];

  it('records an announced expiry on the current version (health expiring, alert open) and deletes the message', async () => {
    const at = new Date(Date.now() + 3 * DAY).toISOString();
    await control('/_sandbox/amazon/notify-expiry', { clientSecretExpiryTime: at });
    const r = await poller.poll();
    assert.deepEqual(r, { received: 1, deleted: 1, newSecrets: 0, expiries: 1 });
    const [v1] = await amazon();
    assert.equal(v1.version, 1);
    assert.equal(v1.expiresAt, at);
    assert.equal(v1.health, 'expiring');
    assert.ok((await openAlerts()).some((a) => a.kind === 'credential-expiring' && a.subject === 'amazon'));
    assert.equal(await queued(), 0);
  });

  it('keeps a new secret pending and the message queued while LWA is down, then verifies, promotes and deletes it once LWA answers', async () => {
    await control('/_sandbox/faults', { partner: 'amazon', kind: 'server-error', status: 503, match: '/auth/o2/token' });
    const rot = await control('/_sandbox/amazon/rotate-secret', { oldSecretValidDays: 7 });
    const down = await poller.poll();
    assert.equal(down.received, 1);
    assert.equal(down.deleted, 0, 'not deleted: SQS will deliver it again');
    let vs = await amazon();
    assert.deepEqual(vs.map((v) => [v.version, v.status]), [[2, 'pending'], [1, 'current']]);
    assert.equal(vs[0].source, 'amazon-notification');
    assert.match(vs[0].lastError, /unreachable|503|server_error/);
    await fetch(`${sb}/_sandbox/faults`, { method: 'DELETE' });

    // SQS redelivers after the visibility timeout (30 s in the sandbox); the stored pending version is reused, not duplicated.
    let again = await poller.poll();
    for (const deadline = Date.now() + 40_000; again.received === 0 && Date.now() < deadline; again = await poller.poll()) await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(again, { received: 1, deleted: 1, newSecrets: 1, expiries: 0 });
    vs = await amazon();
    assert.deepEqual(vs.map((v) => [v.version, v.status]), [[2, 'current'], [1, 'previous']]);
    // The old secret stays usable until the earlier of Amazon's announced end and its own expiry.
    assert.ok(Math.abs(Date.parse(vs[1].expiresAt) - Math.min(Date.parse(rot.oldSecretExpiresAt), Date.now() + 3 * DAY)) < 60_000);
    assert.equal(await queued(), 0);
    assert.ok(!(await openAlerts()).some((a) => a.kind === 'credential-expiring' && a.subject === 'amazon'), 'the new current version has no expiry');
    const ds = api.app.get(DataSource);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'vault.credential.rotated' AND subject_id = 'amazon:v2'`);
    assert.equal(n, 1);
  });
});
