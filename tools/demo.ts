/**
 * `npm run demo`: a guided tour of a running hub (start it first with `npm start`).
 * Everything goes over HTTP exactly as a merchant's tools would: publish a product once, watch it
 * reach the storefront, Amazon and Nykaa, change stock, take a storefront order paid through
 * (the sandbox's) Razorpay, sell on Amazon with a channel-bound key, and look at the vault.
 *
 *   HUB_URL (default http://HOST:PORT from .env or the environment, else 127.0.0.1:3000), SANDBOX_URL
 *   (default http://127.0.0.1:SANDBOX_PORT, else 4010),
 *   HUB_API_KEY (an admin key; when unset the demo creates one with the admin CLI).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { loadEnvFile } from '@hub/core';

// Like every script, .env when present (the environment winning): a hub moved to another PORT is found there.
loadEnvFile();
const local = (host: string | undefined, port: string | undefined, fallback: number) =>
  `http://${!host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port || fallback}`;
const HUB = process.env.HUB_URL ?? local(process.env.HOST, process.env.PORT, 3000);
const SANDBOX = process.env.SANDBOX_URL ?? local(undefined, process.env.SANDBOX_PORT, 4010);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(`${s}\n`);
const step = (n: number, s: string) => say(`\n\x1b[1m${n}. ${s}\x1b[0m`);

async function call(method: string, path: string, key: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${HUB}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
  return json;
}

async function sandboxState(): Promise<any> {
  return (await fetch(`${SANDBOX}/_sandbox/state`)).json();
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function adminKey(): string {
  if (process.env.HUB_API_KEY) return process.env.HUB_API_KEY;
  const out = execFileSync(process.execPath, [resolve(__dirname, '../../tools/run.js'), 'cli', 'keys:create', '--name', 'Demo admin (npm run demo)', '--scopes', 'all', '--tier', 'internal'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const key = /nsk_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(out)?.[0];
  if (!key) throw new Error(`could not create an admin key:\n${out}`);
  return key;
}

async function main() {
  step(1, `Is the hub up? (${HUB})`);
  const ready = await fetch(`${HUB}/health/ready`).catch(() => null);
  if (!ready?.ok) throw new Error(`the hub is not ready (${ready?.status ?? 'no answer'}); start it with \`npm start\` first`);
  // The tour needs jobs to flow (publishing, stock pushes), which readiness alone does not promise.
  const worker = await fetch(`${HUB}/health/worker`);
  if (!worker.ok) throw new Error('no worker is processing jobs (GET /health/worker); `npm start` runs one, or `npm run start:worker`');
  say('   ready: Postgres, Redis and the queues are up, and a worker is processing jobs');

  const key = adminKey();
  say(`   using admin key ${key.slice(0, 22)}… (the full key is shown once, at creation)`);

  const sku = `NS-DEMO-${randomUUID().slice(0, 6).toUpperCase()}`;
  step(2, `Publish ${sku} once; the hub lists it on every channel`);
  await call('POST', '/v1/products', key, {
    sku,
    name: 'Niacinamide 10% Clarifying Serum (demo)',
    price: 649,
    currency: 'INR',
    stock: 25,
    images: ['https://images.novaskin.example/niacinamide-serum.jpg'],
    category: 'serums',
    description: 'Demo product created by npm run demo.',
  });
  const channels = await until('all three channels to publish', async () => {
    const c = await call('GET', `/v1/products/${sku}/channels`, key);
    return c.channels.every((x: any) => x.status === 'published') ? c.channels : undefined;
  });
  for (const c of channels) say(`   ${c.channel.padEnd(10)} ${c.status}  image ${c.imageUrl.replace(/^.*\/upload\//, '…/upload/')}`);
  const s1 = await sandboxState();
  say(`   Amazon shows quantity ${s1.amazon.listings[sku].quantity}, Nykaa ${s1.nykaa.listings[sku].quantity}`);

  step(3, 'Stock is the single truth: 4 units damaged, every channel follows within seconds');
  await call('POST', `/v1/inventory/${sku}/adjustments`, key, { delta: -4, reason: 'damaged in warehouse' }, { 'idempotency-key': randomUUID() });
  await until('channels to show 21', async () => {
    const s = await sandboxState();
    return s.amazon.listings[sku].quantity === 21 && s.nykaa.listings[sku].quantity === 21;
  });
  say('   Amazon 21, Nykaa 21 (absolute quantities, coalesced per channel and SKU)');

  step(4, 'A storefront customer buys 2: stock reserved, Razorpay order created, payment captured');
  const order = await call('POST', '/v1/orders', key, { channel: 'storefront', items: [{ sku, quantity: 2 }], customer: { name: 'Demo Customer' } }, { 'idempotency-key': randomUUID() });
  say(`   order ${order.id}: ${order.status}, Razorpay ${order.razorpay.orderId} for ${order.razorpay.amount} paise, reservation ${order.reservation.status}`);
  await fetch(`${SANDBOX}/_sandbox/razorpay/orders/${order.razorpay.orderId}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'captured' }) });
  const paid = await until('the signed webhook to mark the order paid', async () => {
    const o = await call('GET', `/v1/orders/${order.id}`, key);
    return o.status === 'paid' ? o : undefined;
  });
  say(`   webhook verified and applied once: order ${paid.status}, reservation ${paid.reservation.status}`);

  step(5, 'Amazon sells 1 through a key bound to the amazon channel only');
  const amazonKey = await call('POST', '/v1/keys', key, { name: 'Amazon order feed (demo)', environment: 'live', scopes: ['orders:write', 'orders:read'], tier: 'standard', channels: ['amazon'] });
  const mp = await call('POST', '/v1/orders', amazonKey.key, { channel: 'amazon', externalId: `402-${Date.now()}`, items: [{ sku, quantity: 1 }] }, { 'idempotency-key': randomUUID() });
  say(`   marketplace order ${mp.status}; the same key trying the storefront channel gets 403:`);
  const refused = await fetch(`${HUB}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${amazonKey.key}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ channel: 'storefront', items: [{ sku, quantity: 1 }] }),
  });
  say(`   ${refused.status} ${((await refused.json()) as any).type}`);
  await call('POST', `/v1/keys/${amazonKey.keyId}/revoke`, key, { reason: 'demo finished' }).catch(() => undefined);

  const level = await until('channels to converge', async () => {
    const inv = await call('GET', `/v1/inventory/${sku}`, key);
    return inv.channels.every((c: any) => c.lastConfirmedQuantity === inv.available) ? inv : undefined;
  });
  say(`\n   ${sku}: on hand ${level.onHand}, reserved ${level.reserved}, available ${level.available}`);
  for (const c of level.channels) say(`   ${c.channel.padEnd(10)} confirmed ${c.lastConfirmedQuantity} (${c.state})`);

  step(6, 'Partner credentials live in the vault (fingerprints only, never secrets)');
  const vault = await call('GET', '/v1/vault/credentials', key);
  for (const p of vault.data) {
    const cur = p.versions.find((v: any) => v.status === 'current');
    say(`   ${p.partner.padEnd(10)} v${cur?.version} ${cur?.health} fingerprint ${cur?.fingerprint}`);
  }
  const alerts = await call('GET', '/v1/alerts?status=open', key);
  say(`   open alerts: ${(alerts.data ?? alerts).length}`);

  say('\nDone. Explore the rest at ' + HUB + '/docs');
}

main().catch((err) => {
  process.stderr.write(`\ndemo failed: ${err.message}\n`);
  process.exit(1);
});
