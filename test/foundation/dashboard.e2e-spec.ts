import '../support/test-env';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createContext, Script } from 'node:vm';
import { AlertsService } from '@hub/alerts';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/** Just enough DOM for the page's script: elements with children, text, class and click listeners. */
class FakeNode {
  children: FakeNode[] = [];
  textContent = '';
  className = '';
  value = '';
  listeners = new Map<string, () => unknown>();
  constructor(readonly tag: string) {}
  appendChild(c: FakeNode) {
    this.children.push(c);
    return c;
  }
  replaceChildren(...c: FakeNode[]) {
    this.children = c;
  }
  addEventListener(type: string, f: () => unknown) {
    this.listeners.set(type, f);
  }
  /** Rows of the first table below, as text. */
  rows(): string[][] {
    const table = this.children.find((c) => c.tag === 'table');
    return table ? table.children.map((tr) => tr.children.map((td) => td.textContent || td.children.map((b) => b.textContent).join(''))) : [];
  }
}

async function waitFor<T>(f: () => T | undefined, ms = 5000): Promise<T> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 20))) {
    const v = f();
    if (v !== undefined) return v;
  }
  throw new Error('the dashboard did not fill in time');
}

describe('GET /dashboard: a static page that reads the API with the key typed into it', () => {
  let db: TestDatabase;
  let api: RunningApi;

  before(async () => {
    db = await createTestDatabase('dashboard');
    api = await startApi();
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  it('serves the page without a key, holding no data, under a CSP that admits only its own script and style', async () => {
    const key = await createTestKey(api.app, { scopes: 'all', name: 'a key the page must not reveal' });
    const res = await fetch(`${api.url}/dashboard`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /<script src="\/dashboard\/app\.js"><\/script>/);
    assert.ok(!html.includes(key) && !html.includes(key.slice(9, 21)) && !html.includes('a key the page must not reveal'), 'no key, keyId or key name in the page');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), `${d} in ${csp}`);
    // The one inline style block is admitted by its hash, and nothing else inline is.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    assert.ok(csp.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`), 'the style hash matches the served style');
    assert.doesNotMatch(html, /<script>|\son[a-z]+=/i, 'no inline script or handler');
  });

  it('serves a script that compiles and only reads routes that exist, with the scopes the page names', async () => {
    const res = await fetch(`${api.url}/dashboard/app.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    const js = await res.text();
    assert.doesNotThrow(() => new Script(js));
    assert.doesNotMatch(js, /innerHTML|insertAdjacentHTML|document\.write/, 'data goes in with textContent only');
    const reads = [...js.matchAll(/api\('GET', '([^']+)'\)/g)].map((m) => m[1]);
    assert.deepEqual(reads.sort(), ['/v1/alerts?status=open', '/v1/analytics/endpoints', '/v1/analytics/keys?limit=200', '/v1/vault/credentials']);
    const viewer = await createTestKey(api.app, { scopes: ['alerts:read', 'vault:read', 'analytics:read'] });
    const other = await createTestKey(api.app, { scopes: ['catalog:read'] });
    for (const path of reads) {
      const ok = await fetch(`${api.url}${path}`, { headers: bearer(viewer) });
      assert.equal(ok.status, 200, `${path} with the scopes the page names`);
      assert.ok(Array.isArray(((await ok.json()) as { data: unknown }).data), `${path} answers { data: [...] }`);
      const refused = await fetch(`${api.url}${path}`, { headers: bearer(other) });
      assert.equal(refused.status, 403, `${path} refused to a key without its scope (the panel says so)`);
      assert.ok(((await refused.json()) as { title?: string }).title, 'a problem title for the panel to show');
    }
  });

  it('runs: with a key in the tab it fills the panels from the API, and a panel the key cannot read says why', async () => {
    await api.app.get(AlertsService, { strict: false }).raise({ kind: 'credential-expiring', subject: 'amazon', severity: 'warning', message: 'LWA secret expires in 6 days' });
    const js = await (await fetch(`${api.url}/dashboard/app.js`)).text();
    const ids = ['key', 'save', 'forget', 'updated', 'alerts', 'credentials', 'keys', 'endpoints'];
    const dom = new Map(ids.map((id) => [id, new FakeNode('div')]));
    const storage = new Map<string, string>([['novaskin-hub-dashboard-key', await createTestKey(api.app, { scopes: ['alerts:read', 'analytics:read'], name: 'ops viewer' })]]);
    const context = createContext({
      document: { getElementById: (id: string) => dom.get(id), createElement: (tag: string) => new FakeNode(tag) },
      sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => storage.set(k, v), removeItem: (k: string) => storage.delete(k) },
      fetch: (path: string, init: RequestInit) => fetch(`${api.url}${path}`, init),
      Node: FakeNode,
      setInterval: () => 0,
      alert: () => undefined,
      encodeURIComponent,
    });
    new Script(js).runInContext(context);
    const alerts = await waitFor(() => dom.get('alerts')!.rows().find((r) => r[1] === 'credential-expiring'));
    assert.deepEqual(alerts.slice(0, 4), ['warning', 'credential-expiring', 'amazon', 'LWA secret expires in 6 days']);
    assert.equal(alerts[5], 'acknowledge');
    const keys = await waitFor(() => dom.get('keys')!.rows().find((r) => r[1] === 'ops viewer'));
    assert.equal(keys[2], 'active');
    // This key lacks vault:read: the panel shows the API's problem, not an empty table.
    const vault = await waitFor(() => dom.get('credentials')!.children[0]?.textContent || undefined);
    assert.match(vault, /vault:read/);
  });
});
