import '../support/test-env';
import { verifyWebhook } from '@hub/alerts';
import { ChannelsModule } from '@hub/channels';
import { ChannelSyncControl } from '@hub/core';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { applyRules, divergent, publishEverywhere, RunningSandbox, startSandbox } from '../inventory/support/sync-harness';
import { AlertReceiver, amazonFields, startAlertReceiver } from './support/vault-helpers';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const SKUS = ['NOVA-SERUM', 'NOVA-TONER', 'NOVA-CREAM', 'NOVA-MASK', 'NOVA-SPF'];
const DAY = 86_400_000;

/**
 * Issue 7's story: Amazon's secret is rotated and the old one dies at once; the hub notices on
 * the next sync, pauses Amazon (holding updates), alerts over a signed webhook, and when the new
 * secret is stored and verified, resumes and converges with nothing lost.
 */
describe('NovaSkin: an Amazon secret rotation does not silently stop inventory sync', () => {
  let db: TestDatabase;
  let sb: RunningSandbox;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let receiver: AlertReceiver;
  let key: string;
  let ds: DataSource;

  before(async () => {
    db = await createTestDatabase('novaskin');
    receiver = await startAlertReceiver();
    sb = await startSandbox();
    Object.assign(process.env, {
      INVENTORY_OUTBOX_POLL_MS: '200',
      INVENTORY_SWEEP_AFTER_MS: '1000',
      INVENTORY_RECONCILE_EVERY_MS: '3600000',
      INVENTORY_BACKOFF_BASE_MS: '100',
      AMAZON_NOTIFICATIONS_URL: `${sb.url}/_sqs/amazon-notifications`,
      // The operator PUTs the new secret in this story; the notice path has its own test.
      AMAZON_NOTIFICATIONS_POLL_MS: '3600000',
      VAULT_RECHECK_EVERY_MS: '3600000',
      ALERTS_EVALUATE_EVERY_MS: '1000',
      ALERT_WEBHOOK_URL: receiver.url,
      ALERT_WEBHOOK_SECRET: SECRET,
    });
    api = await startApi();
    // The real worker module, plus the channel adapters (normally brought in by the catalog lib).
    @Module({ imports: [WorkerModule, ChannelsModule] })
    class NovaSkinWorker {}
    worker = await NestFactory.createApplicationContext(NovaSkinWorker, { logger: false, abortOnError: false });
    worker.enableShutdownHooks();
    await worker.init();
    ds = api.app.get(DataSource);
    key = await createTestKey(api.app, { scopes: 'all' });
    await applyRules(worker);
    for (const sku of SKUS) await publishEverywhere(worker, sku, 40);
    await waitUntil(async () => Object.values(await divergent(sb.url, ds, SKUS)).every((l) => l.length === 0), 30_000, 200);
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await sb?.sandbox.close();
    await receiver?.close();
    await db?.drop();
  });

  const http = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api.url}${path}`, { method, headers: { ...bearer(key), ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: (await res.json()) as any };
  };
  const openAlerts = async () => (await http('GET', '/v1/alerts?status=open')).json.data as { kind: string; subject: string }[];
  const isOpen = (alerts: { kind: string; subject: string }[], kind: string, subject: string) => alerts.some((a) => a.kind === kind && a.subject === subject);
  const signedHook = (kind: string) =>
    receiver.hooks.find((h) => {
      const p = JSON.parse(h.body);
      return p.data.kind === kind && p.data.subject === 'amazon' && verifyWebhook(SECRET, h.headers as Record<string, string>, h.body);
    });

  it('rotation -> failing + paused alerts (signed webhooks) -> 50 held changes -> new secret PUT -> Amazon converges, alerts resolve', async () => {
    // 1. The credential Amazon says expires in 5 days: credential-expiring opens.
    const put1 = await http('PUT', '/v1/vault/credentials/amazon', { fields: amazonFields(process.env.AMAZON_LWA_CLIENT_SECRET!), expiresAt: new Date(Date.now() + 5 * DAY).toISOString() });
    assert.equal(put1.status, 201, JSON.stringify(put1.json));
    assert.ok(isOpen(await openAlerts(), 'credential-expiring', 'amazon'));

    // 2. The secret is rotated at Amazon and the old one rejected at once (the missed rotation).
    const rot = await (await fetch(`${sb.url}/_sandbox/amazon/rotate-secret`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rejectOldImmediately: true }) })).json() as { newClientSecret: string };

    // 3. The next sync fails; within 60 s the hub pauses Amazon and says so, over a signed webhook.
    const t0 = Date.now();
    assert.equal((await http('PUT', `/v1/inventory/${SKUS[0]}`, { onHand: 33 })).status, 200);
    await waitUntil(async () => {
      const open = await openAlerts();
      return isOpen(open, 'credential-failing', 'amazon') && isOpen(open, 'channel-sync-paused', 'amazon') && signedHook('credential-failing') && signedHook('channel-sync-paused');
    }, 60_000, 250);
    const detectedMs = Date.now() - t0;
    assert.ok(signedHook('credential-expiring'), 'the expiring alert was delivered too');
    assert.equal(await worker.get(ChannelSyncControl, { strict: false }).isPaused('amazon'), true);
    const cred = (await http('GET', '/v1/vault/credentials')).json.data.find((p: any) => p.partner === 'amazon').versions[0];
    assert.equal(cred.health, 'failing');

    // 4. Business goes on: 50 stock changes while Amazon is paused.
    for (let i = 0; i < 50; i++) {
      const sku = SKUS[i % SKUS.length];
      const res = await http('POST', `/v1/inventory/${sku}/adjustments`, { delta: i % 3 === 0 ? 2 : -1, reason: `novaskin change ${i}` }, { 'idempotency-key': `novaskin-${i}` });
      assert.equal(res.status, 201, JSON.stringify(res.json));
    }
    // Nykaa is not affected; Amazon is held (not failed, not dropped).
    await waitUntil(async () => (await divergent(sb.url, ds, SKUS)).nykaa.length === 0, 15_000, 200);
    assert.ok((await divergent(sb.url, ds, SKUS)).amazon.length > 0, 'amazon is behind while paused');

    // 5. The new secret is PUT, verified with LWA and made current: sync resumes by itself.
    const put2 = await http('PUT', '/v1/vault/credentials/amazon', { fields: amazonFields(rot.newClientSecret), rotateEveryDays: 180 });
    assert.equal(put2.status, 201, JSON.stringify(put2.json));
    assert.equal(put2.json.credential.status, 'current');
    const t1 = Date.now();
    await waitUntil(async () => Object.values(await divergent(sb.url, ds, SKUS)).every((l) => l.length === 0), 30_000, 200).catch(async (err) => {
      throw new Error(`${err.message}; still divergent: ${JSON.stringify(await divergent(sb.url, ds, SKUS))}`);
    });
    const convergedMs = Date.now() - t1;
    assert.equal(await worker.get(ChannelSyncControl, { strict: false }).isPaused('amazon'), false);

    // 6. Alerts resolve: nothing is failing, paused or expiring for Amazon any more.
    await waitUntil(async () => {
      const open = await openAlerts();
      return !isOpen(open, 'credential-failing', 'amazon') && !isOpen(open, 'channel-sync-paused', 'amazon') && !isOpen(open, 'credential-expiring', 'amazon');
    }, 10_000, 250);

    // 0 updates lost: every SKU shows on Amazon exactly what the hub's stock allocates.
    const state: any = await (await fetch(`${sb.url}/_sandbox/state`)).json();
    const items: { sku: string; available: number }[] = await ds.query(`SELECT sku, on_hand - reserved AS available FROM inventory_items WHERE sku = ANY($1)`, [SKUS]);
    assert.equal(items.length, SKUS.length);
    for (const sku of SKUS) assert.ok(state.amazon.listings[sku], `${sku} listed on Amazon`);
    console.log(`novaskin: failure detected and alerted in ${detectedMs} ms; Amazon converged ${convergedMs} ms after the new secret was made current`);
  });
});
