import '../support/test-env';
import type { AmazonAdapter, NykaaAdapter } from '@hub/channels';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-harness';
import { freshSandboxAdapters, sampleListing } from './support/sandbox-adapters';

const listing = (sku: string, quantity: number) => sampleListing(sku, quantity);

/** The adapters against the partner sandbox over real HTTP: the wire formats must agree end to end. */
describe('channel adapters against the partner sandbox', () => {
  let sb: RunningSandbox;
  let amazon: AmazonAdapter;
  let nykaa: NykaaAdapter;

  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb?.close());
  // Fresh adapters per test: the sandbox reset forgets the access tokens they would have cached.
  beforeEach(async () => {
    ({ amazon, nykaa } = await freshSandboxAdapters(sb));
  });

  it('Amazon: publish, read back, set an absolute quantity, delist', async () => {
    assert.deepEqual(await amazon.publishListing(listing('NS-ADP-AMZ', 12)), { externalId: 'NS-ADP-AMZ', status: 'published' });
    assert.equal(await amazon.fetchQuantity('NS-ADP-AMZ'), 12);
    assert.deepEqual(await amazon.updateQuantity('NS-ADP-AMZ', 4), { confirmedQuantity: 4 });
    assert.equal(await amazon.fetchQuantity('NS-ADP-AMZ'), 4);
    const state = await sb.state();
    assert.equal(state.amazon.listings['NS-ADP-AMZ'].quantity, 4);
    assert.equal(state.amazon.listings['NS-ADP-AMZ'].imageUrl, 'https://images.novaskin.example/NS-ADP-AMZ.jpg');
    assert.equal(state.amazon.listings['NS-ADP-AMZ'].price, 899);
    assert.equal(state.amazon.tokensIssued, 1, 'one LWA token for all calls');
    await amazon.delist('NS-ADP-AMZ');
    assert.equal((await sb.state()).amazon.listings['NS-ADP-AMZ'].status, 'DELETED');
    assert.equal(await amazon.fetchQuantity('NS-ADP-UNKNOWN'), null);
  });

  it('Amazon: 20 back-to-back calls stay inside the partner limit (no 429) thanks to the outbound bucket', async () => {
    await amazon.publishListing(listing('NS-ADP-BURST', 1));
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, (_, i) => amazon.updateQuantity('NS-ADP-BURST', i)));
    const elapsed = Date.now() - started;
    const log = ((await sb.state()).amazon.requestLog as any[]).filter((e) => e.sku === 'NS-ADP-BURST');
    assert.deepEqual(log.map((e) => e.status), Array(21).fill(200), 'every call accepted at the first try, none throttled');
    // 21 calls at 5/s with a burst of 5: at least (21 - 5) / 5 s.
    assert.ok(elapsed >= 2900, `took ${elapsed} ms`);
  });

  it('Nykaa: publish, quantity, reviews since a date, delist', async () => {
    assert.equal((await nykaa.publishListing(listing('NS-ADP-NYK', 9))).status, 'published');
    assert.equal(await nykaa.fetchQuantity('NS-ADP-NYK'), 9);
    assert.deepEqual(await nykaa.updateQuantity('NS-ADP-NYK', 3), { confirmedQuantity: 3 });
    assert.equal((await sb.state()).nykaa.listings['NS-ADP-NYK'].quantity, 3);
    await sb.call('POST', '/_sandbox/nykaa/reviews', { sku: 'NS-ADP-NYK', rating: 4, title: 'Old', createdAt: '2026-01-01T00:00:00.000Z' });
    await sb.call('POST', '/_sandbox/nykaa/reviews', { sku: 'NS-ADP-NYK', rating: 5, title: 'New' });
    const recent = await nykaa.fetchReviews(new Date('2026-06-01T00:00:00.000Z'));
    assert.deepEqual(recent.map((r) => [r.sku, r.rating, r.title]), [['NS-ADP-NYK', 5, 'New']]);
    assert.equal((await nykaa.fetchReviews()).length, 2);
    await nykaa.verify();
    await nykaa.delist('NS-ADP-NYK');
    assert.equal((await sb.state()).nykaa.listings['NS-ADP-NYK'].status, 'DELISTED');
  });

  it('maps the sandbox faults to typed errors', async () => {
    await sb.fault({ partner: 'nykaa', kind: 'reject-credentials', count: 1 });
    await assert.rejects(nykaa.publishListing(listing('NS-ADP-F1', 1)), { name: 'CredentialRejectedError' });
    await sb.fault({ partner: 'nykaa', kind: 'rate-limit', retryAfterSeconds: 2, count: 1 });
    await assert.rejects(nykaa.publishListing(listing('NS-ADP-F1', 1)), (e: any) => e.name === 'RateLimitedError' && e.retryAfterMs === 2000);
    await sb.fault({ partner: 'nykaa', kind: 'server-error', status: 502, count: 1 });
    await assert.rejects(nykaa.publishListing(listing('NS-ADP-F1', 1)), { name: 'PartnerUnavailableError' });
    await sb.fault({ partner: 'nykaa', kind: 'timeout', ms: 5000, count: 1 });
    await assert.rejects(nykaa.publishListing(listing('NS-ADP-F1', 1)), (e: any) => e.name === 'PartnerUnavailableError' && /timed out/.test(e.message));
    await assert.rejects(nykaa.publishListing({ ...listing('NS-ADP-F1', 1), currency: 'USD' }), { name: 'ListingRejectedError' });
    await assert.rejects(amazon.publishListing({ ...listing('NS-ADP-F2', 1), name: '' }), { name: 'ListingRejectedError' });
  });
});
