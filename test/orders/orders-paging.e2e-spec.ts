import '../support/test-env';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestKey } from '../support/api-keys';
import { OfflineOrdersStack, startOrdersStack } from './support/orders-stack';

/**
 * Orders are stored to the microsecond; a JS Date holds milliseconds. A cursor built from the Date
 * skipped every order created later within the same millisecond as a page's last one.
 */
describe('GET /v1/orders paging (microsecond created_at)', () => {
  let stack: OfflineOrdersStack;
  let reader: string;
  // Identical times, times within one millisecond, and its neighbours on either side.
  const times = [
    '2026-03-01T10:00:00.122999Z',
    '2026-03-01T10:00:00.123000Z', '2026-03-01T10:00:00.123000Z', '2026-03-01T10:00:00.123000Z',
    '2026-03-01T10:00:00.123001Z', '2026-03-01T10:00:00.123456Z', '2026-03-01T10:00:00.123456Z',
    '2026-03-01T10:00:00.123999Z', '2026-03-01T10:00:00.124000Z',
  ];
  /** Newest first, ties by id descending: the order the API pages in. */
  let expected: { id: string; at: string }[];

  before(async () => {
    stack = await startOrdersStack('orderspaging', { partners: 'none' });
    reader = await createTestKey(stack.api.app, { scopes: ['orders:read'] });
    const rows = times.map((at) => ({ id: randomUUID(), at }));
    await stack.ds.query(
      `INSERT INTO orders (id, channel, status, currency, amount_minor, created_at)
       SELECT id, 'amazon', 'paid', 'INR', 100, at FROM unnest($1::uuid[], $2::timestamptz[]) AS t(id, at)`,
      [rows.map((r) => r.id), rows.map((r) => r.at)],
    );
    expected = rows.sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
  });
  after(() => stack?.close());

  const page = async (query: string) => {
    const res = await fetch(`${stack.api.url}/v1/orders?${query}`, { headers: bearer(reader) });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { data: { id: string }[]; nextCursor: string | null };
  };
  const walk = async (limit: number, from?: string) => {
    const seen: string[] = [];
    let cursor = from;
    for (let i = 0; i < 50; i++) {
      const p = await page(`limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.data.map((o) => o.id));
      if (!p.nextCursor) return seen;
      cursor = p.nextCursor;
    }
    throw new Error('paging did not end');
  };

  it('lists every order exactly once, in order, one per page and two per page', async () => {
    assert.deepEqual(await walk(1), expected.map((r) => r.id));
    assert.deepEqual(await walk(2), expected.map((r) => r.id));
  });

  it('pages through two orders created within one millisecond (GET ?limit=1, then nextCursor)', async () => {
    // Same millisecond, different microseconds: the one the old cursor lost.
    const a = randomUUID();
    const b = randomUUID();
    await stack.ds.query(
      `INSERT INTO orders (id, channel, status, currency, amount_minor, created_at)
       VALUES ($1, 'nykaa', 'paid', 'INR', 1, '2026-04-01T08:00:00.500100Z'), ($2, 'nykaa', 'paid', 'INR', 1, '2026-04-01T08:00:00.500900Z')`,
      [a, b],
    );
    const first = await page('limit=1&channel=nykaa');
    assert.deepEqual(first.data.map((o) => o.id), [b]);
    const second = await page(`limit=1&channel=nykaa&cursor=${first.nextCursor}`);
    assert.deepEqual(second.data.map((o) => o.id), [a]);
  });

  it('still honours a millisecond cursor issued before the fix: never skips, repeats only within its millisecond', async () => {
    const legacy = (r: { at: string; id: string }) => Buffer.from(`${r.at.slice(0, 23)}Z|${r.id}`).toString('base64url');
    // The newest order of its millisecond (the usual case, one order per millisecond): exactly the rest.
    const newest = expected.findIndex((r) => r.at === '2026-03-01T10:00:00.123999Z');
    assert.deepEqual(await walk(1, legacy(expected[newest])), expected.slice(newest + 1).map((r) => r.id));
    // One in the middle of its millisecond: the cursor cannot tell where in it the order was, so
    // orders of that millisecond may come again, but no older one is lost.
    const i = expected.findIndex((r) => r.at === '2026-03-01T10:00:00.123456Z');
    const seen = await walk(1, legacy(expected[i]));
    for (const r of expected.slice(i + 1)) assert.ok(seen.includes(r.id), `older order ${r.at} listed`);
    const again = expected.slice(0, i + 1).filter((r) => seen.includes(r.id));
    assert.ok(again.every((r) => r.at.startsWith('2026-03-01T10:00:00.123')), `repeats only from .123: ${again.map((r) => r.at)}`);
    assert.equal(new Set(seen).size, seen.length, 'no order twice within the walk');
  });

  it('answers forged microsecond cursors with 400 naming cursor', async () => {
    const id = expected[0].id;
    for (const text of [`2026-02-30T10:00:00.123456Z|${id}`, `2026-03-01T10:00:00.1234Z|${id}`, `2026-03-01T24:00:00.123456Z|${id}`, `2026-03-01T10:00:00.123456789Z|${id}`]) {
      const res = await fetch(`${stack.api.url}/v1/orders?cursor=${Buffer.from(text).toString('base64url')}`, { headers: bearer(reader) });
      assert.equal(res.status, 400, text);
      const body: any = await res.json();
      assert.ok(body.type.endsWith('/validation-failed'));
      assert.ok((body.errors ?? []).some((e: any) => e.field === 'cursor'), text);
    }
  });
});
