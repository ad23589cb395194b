import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import type { Partner } from '@hub/core';
import type { Queue } from 'bullmq';
import assert from 'node:assert/strict';
import { createSandboxApp, Sandbox } from '../../../apps/partner-sandbox/src/create-sandbox-app';
import { VAULT_QUEUE } from '../../../libs/vault/src/constants';
import { bearer, createTestKey } from '../../support/api-keys';
import { RunningApi, startApi, startWorker } from '../../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { closeInOrder } from '../../support/stack-teardown';
import { pointPartnersAt } from '../../sandbox/sandbox-harness';

/** An api and a worker on a fresh database, with every partner in an in-process sandbox, and an admin key. */
export interface VaultStack {
  db: TestDatabase;
  sandbox: Sandbox;
  /** The sandbox's base URL. */
  sb: string;
  api: RunningApi;
  worker: INestApplicationContext;
  key: string;
  /** POST to a sandbox control endpoint; its JSON answer. */
  control(path: string, body?: unknown): Promise<any>;
  /** The vault's versions of one partner, newest first, as GET /v1/vault/credentials lists them (asserting its 200). */
  versions(partner: Partner): Promise<any[]>;
  /** versions('amazon'). */
  amazon(): Promise<any[]>;
  /** The open alerts, as GET /v1/alerts?status=open lists them (asserting its 200). */
  openAlerts(): Promise<any[]>;
  /** Takes away every fault set on the sandbox, so a partner answers normally again. */
  clearFaults(): Promise<void>;
  close(): Promise<void>;
}

/** The same stack without a worker (`{ worker: false }`): the api alone runs the vault. */
export type VaultApiStack = Omit<VaultStack, 'worker'> & { worker?: undefined };

export interface VaultStackOptions {
  /** Start a worker too (default true). */
  worker?: boolean;
}

/**
 * The stack the vault's notice and re-check tests share. The worker's scheduled poll and re-check
 * are pushed an hour out (the tests run them), and their first runs, which BullMQ starts as the
 * worker boots, are awaited: on a loaded machine such a run could otherwise take a test's message
 * or resume a channel in the middle of a test.
 */
export async function startVaultStack(label: string, opts?: { worker?: true }): Promise<VaultStack>;
export async function startVaultStack(label: string, opts: { worker: false }): Promise<VaultApiStack>;
export async function startVaultStack(label: string, opts?: VaultStackOptions): Promise<VaultStack | VaultApiStack>;
export async function startVaultStack(label: string, { worker: withWorker = true }: VaultStackOptions = {}): Promise<VaultStack | VaultApiStack> {
  const db = await createTestDatabase(label);
  const sandbox = await createSandboxApp();
  const sb = await sandbox.listen(0);
  pointPartnersAt(sb);
  Object.assign(process.env, { AMAZON_NOTIFICATIONS_POLL_MS: '3600000', VAULT_RECHECK_EVERY_MS: '3600000' });
  const api = await startApi();
  const worker = withWorker ? await startWorker() : undefined;
  if (worker) {
    const queue = worker.get<Queue>(getQueueToken(VAULT_QUEUE), { strict: false });
    for (const t0 = Date.now(); ; ) {
      const c = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
      if (c.wait + c.active + c.prioritized === 0 && c.delayed >= 2) break;
      if (Date.now() - t0 > 20_000) throw new Error(`the worker's first vault jobs did not finish: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const key = await createTestKey(api.app, { scopes: 'all' });
  /** The `data` of a GET list with the admin key; its 200 is asserted so a refusal fails here, not as a missing field later. */
  const list = async (path: string) => {
    const res = await fetch(`${api.url}${path}`, { headers: bearer(key) });
    assert.equal(res.status, 200);
    return ((await res.json()) as any).data as any[];
  };
  const versions = async (partner: Partner) => (await list('/v1/vault/credentials')).find((p: any) => p.partner === partner).versions as any[];
  return {
    db,
    sandbox,
    sb,
    api,
    worker,
    key,
    control: async (path, body = {}) =>
      (await fetch(`${sb}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json(),
    versions,
    amazon: () => versions('amazon'),
    openAlerts: () => list('/v1/alerts?status=open'),
    clearFaults: async () => {
      await fetch(`${sb}/_sandbox/faults`, { method: 'DELETE' });
    },
    close: () =>
      closeInOrder(
        () => worker?.close(),
        () => api.close(),
        () => sandbox.close(),
        () => db.drop(),
      ),
  };
}
