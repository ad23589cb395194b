import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { bearer, createTestKey } from '../../support/api-keys';
import { RunningApi, startApi, startWorker } from '../../support/hub-harness';
import { closeInOrder, snapshotEnv } from '../../support/stack-teardown';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { pointPartnersAt, RunningSandbox, startSandbox } from '../../sandbox/sandbox-harness';

/** Settings for process.env; `undefined` unsets one. */
export type EnvSettings = Record<string, string | undefined>;

/** An api and a worker on a fresh database, with every partner in an in-process sandbox, and an admin key. */
export interface CatalogStack {
  db: TestDatabase;
  sb: RunningSandbox;
  api: RunningApi;
  worker: INestApplicationContext;
  /** An all-scopes key. */
  key: string;
  /** The key's headers for a JSON request. */
  admin: Record<string, string>;
  /** The api's own connection, so a test sees exactly the rows the api wrote. */
  ds: DataSource;
  close(): Promise<void>;
}

/** The api alone (`{ partners: 'none', worker: false }`): partners stay at test-env's closed port, and nothing takes the jobs. */
export type CatalogApiStack = Omit<CatalogStack, 'sb' | 'worker'> & { sb?: undefined; worker?: undefined };

/** A worker and the sandbox without an api (`{ api: false }`); `ds` is then the worker's connection. */
export type CatalogWorkerStack = Omit<CatalogStack, 'api' | 'key' | 'admin'> & { api?: undefined; key?: undefined; admin?: undefined };

export interface CatalogStackOptions {
  /**
   * Who answers for the partners (default 'sandbox': every partner pointed at it). A function
   * also starts the sandbox, but gives the settings that point the apps at it instead (applied
   * once it listens, after `env`), for a test of how they find a partner. With 'none' they stay
   * at test-env's closed port.
   */
  partners?: 'sandbox' | 'none' | ((sandboxUrl: string) => EnvSettings);
  /** Start the api (default true). */
  api?: boolean;
  /** Start a worker (default true). */
  worker?: boolean;
  /**
   * Settings of this test's own, set before anything starts: the apps read them once, as they boot,
   * and the sandbox takes its partner accounts from the credentials among them.
   */
  env?: EnvSettings;
}

type SandboxPartners = 'sandbox' | ((sandboxUrl: string) => EnvSettings);

/**
 * The stack the catalog tests share. Partners are pointed at before the apps start, as their SDKs
 * read their URLs once. close() puts process.env back as it found it. Should a start fail, what had
 * started is closed before the error is thrown: the test's after() never gets a stack to close then.
 */
export async function startCatalogStack(label: string, opts?: CatalogStackOptions & { partners?: SandboxPartners; api?: true; worker?: true }): Promise<CatalogStack>;
export async function startCatalogStack(label: string, opts: CatalogStackOptions & { partners: 'none'; api?: true; worker: false }): Promise<CatalogApiStack>;
export async function startCatalogStack(label: string, opts: CatalogStackOptions & { partners?: SandboxPartners; api: false; worker?: true }): Promise<CatalogWorkerStack>;
export async function startCatalogStack(label: string, opts?: CatalogStackOptions): Promise<CatalogStack | CatalogApiStack | CatalogWorkerStack>;
export async function startCatalogStack(
  label: string,
  { partners = 'sandbox', api: withApi = true, worker: withWorker = true, env = {} }: CatalogStackOptions = {},
): Promise<CatalogStack | CatalogApiStack | CatalogWorkerStack> {
  const restoreEnv = snapshotEnv();
  let sb: RunningSandbox | undefined;
  let db: TestDatabase | undefined;
  let api: RunningApi | undefined;
  let worker: INestApplicationContext | undefined;
  // The worker first: its publish jobs would otherwise meet a sandbox that is gone.
  const close = () =>
    closeInOrder(
      () => worker?.close(),
      () => api?.close(),
      () => sb?.close(),
      () => db?.drop(),
      restoreEnv,
    );
  try {
    setEnv(env);
    if (partners !== 'none') {
      sb = await startSandbox();
      if (partners === 'sandbox') pointPartnersAt(sb.url);
      else setEnv(partners(sb.url));
    }
    db = await createTestDatabase(label);
    if (withApi) api = await startApi();
    if (withWorker) worker = await startWorker();
    const key = api && (await createTestKey(api.app, { scopes: 'all' }));
    const ds = (api?.app ?? worker)?.get(DataSource);
    if (!ds) throw new Error('startCatalogStack: neither an api nor a worker to connect through');
    return { db, sb, api, worker, key, admin: key && { ...bearer(key), 'content-type': 'application/json' }, ds, close } as CatalogStack | CatalogApiStack | CatalogWorkerStack;
  } catch (e) {
    await close();
    throw e;
  }
}

function setEnv(settings: EnvSettings): void {
  for (const [k, v] of Object.entries(settings)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
