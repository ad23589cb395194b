import type { INestApplicationContext } from '@nestjs/common';
import { OrdersService } from '@hub/orders';
import { DataSource } from 'typeorm';
import { pointPartnersAt, RunningSandbox, startSandbox } from '../../sandbox/sandbox-harness';
import { RunningApi, startApi, startWorker } from '../../support/hub-harness';
import { closeInOrder, snapshotEnv } from '../../support/stack-teardown';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { fakeRazorpay } from '../../payments/support/orders-harness';

export type FakeRazorpay = ReturnType<typeof fakeRazorpay>;

/** An api on a fresh database with Razorpay faked in-process (nock), as most order and payment tests want. */
export interface OrdersStack {
  db: TestDatabase;
  api: RunningApi;
  /** The api's own connection, so a test sees exactly the rows the api wrote. */
  ds: DataSource;
  orders: OrdersService;
  razorpay: FakeRazorpay;
  close(): Promise<void>;
}

/** With every partner in a sandbox instead (`{ partners: 'sandbox' }`), and a worker to act on it. */
export type SandboxOrdersStack = Omit<OrdersStack, 'razorpay'> & { sb: RunningSandbox; worker: INestApplicationContext };

/** With no partner at all (`{ partners: 'none' }`): their URLs stay at test-env's closed port. */
export type OfflineOrdersStack = Omit<OrdersStack, 'razorpay'>;

export interface OrdersStackOptions {
  /**
   * Who answers for the partners (default 'fake-razorpay'). The sandbox comes with a worker: what
   * it is there for (publishing stock to the channels, the expiry sweep asking Razorpay) happens in
   * the worker. The fake has none, since a worker would publish to ports nothing listens on.
   */
  partners?: 'fake-razorpay' | 'sandbox' | 'none';
  /** Settings of this test's own, set before the api and worker read their configuration and restored on close. */
  env?: Record<string, string>;
}

/**
 * The stack the order and payment tests share. Partners are pointed at before the api starts, as
 * their SDKs read their URLs once. Should a start fail, what had started is closed before the error
 * is thrown: the test's after() never gets a stack to close then.
 */
export async function startOrdersStack(label: string, opts?: OrdersStackOptions & { partners?: 'fake-razorpay' }): Promise<OrdersStack>;
export async function startOrdersStack(label: string, opts: OrdersStackOptions & { partners: 'sandbox' }): Promise<SandboxOrdersStack>;
export async function startOrdersStack(label: string, opts: OrdersStackOptions & { partners: 'none' }): Promise<OfflineOrdersStack>;
export async function startOrdersStack(label: string, { partners = 'fake-razorpay', env = {} }: OrdersStackOptions = {}): Promise<OrdersStack | SandboxOrdersStack | OfflineOrdersStack> {
  let db: TestDatabase | undefined;
  let razorpay: FakeRazorpay | undefined;
  let sb: RunningSandbox | undefined;
  let api: RunningApi | undefined;
  let worker: INestApplicationContext | undefined;
  const restoreEnv = snapshotEnv();
  // The sandbox before the api: its webhook retries would otherwise reach an api that is closing.
  const close = () =>
    closeInOrder(
      () => sb?.close(),
      () => razorpay?.stop(),
      () => worker?.close(),
      () => api?.close(),
      () => db?.drop(),
      restoreEnv,
    );
  try {
    db = await createTestDatabase(label);
    if (partners === 'fake-razorpay') razorpay = fakeRazorpay();
    if (partners === 'sandbox') {
      sb = await startSandbox();
      pointPartnersAt(sb.url);
    }
    Object.assign(process.env, env);
    api = await startApi();
    if (sb) worker = await startWorker();
  } catch (e) {
    await close();
    throw e;
  }
  return {
    db,
    api,
    ds: api.app.get(DataSource),
    orders: api.app.get(OrdersService),
    ...(razorpay && { razorpay }),
    ...(sb && { sb, worker }),
    close,
  } as OrdersStack | SandboxOrdersStack | OfflineOrdersStack;
}
