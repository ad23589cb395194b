import { createHash } from 'node:crypto';

/**
 * GET /dashboard: one static page for operators. It holds no data and no secret: it asks for an
 * API key (kept in this browser tab's sessionStorage only), then reads the hub's own API with it,
 * so it shows exactly what that key's scopes allow and every panel the key cannot read says so.
 * Data is written with textContent only (names, messages and user agents are caller-controlled).
 */
export const DASHBOARD_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{display:flex;gap:1rem;align-items:center;padding:.75rem 1.25rem;background:#1d2330;color:#fff}
header h1{font-size:1.05rem;margin:0;flex:1}
header input{width:28rem;max-width:50vw;padding:.35rem;font:inherit}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(34rem,1fr));gap:1rem;padding:1rem}
section{background:#fff;border-radius:6px;padding:.75rem 1rem;box-shadow:0 1px 2px #0002;overflow:auto}
section.wide{grid-column:1/-1}
h2{font-size:1rem;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;white-space:nowrap}
td.msg{white-space:normal}
.critical{color:#b00020;font-weight:600}.warning{color:#9a6700}.ok{color:#1a7f37}
.note{color:#667}
button{font:inherit}
`;

export const DASHBOARD_JS = `'use strict';
(function () {
  var KEY = 'novaskin-hub-dashboard-key';
  var input = document.getElementById('key');
  input.value = sessionStorage.getItem(KEY) || '';
  document.getElementById('save').addEventListener('click', function () {
    sessionStorage.setItem(KEY, input.value.trim());
    refresh();
  });
  document.getElementById('forget').addEventListener('click', function () {
    sessionStorage.removeItem(KEY);
    input.value = '';
    refresh();
  });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function pct(x) { return x === null || x === undefined ? '' : (Math.round(x * 1000) / 10) + '%'; }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : ''; }
  function ms(x) { return x === null || x === undefined ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1); }

  async function api(method, path) {
    var key = sessionStorage.getItem(KEY);
    if (!key) return { note: 'Enter an API key above.' };
    var res = await fetch(path, { method: method, headers: { authorization: 'Bearer ' + key } });
    var body = await res.json().catch(function () { return null; });
    if (!res.ok) return { note: (body && (body.title + (body.detail ? ': ' + body.detail : ''))) || ('HTTP ' + res.status) };
    return { body: body };
  }

  function table(id, headers, rows) {
    var box = document.getElementById(id);
    box.replaceChildren();
    if (!rows.length) { box.appendChild(el('p', 'Nothing to show.', 'note')); return; }
    var t = el('table'), head = el('tr');
    headers.forEach(function (h) { head.appendChild(el('th', h)); });
    t.appendChild(head);
    rows.forEach(function (r) {
      var tr = el('tr');
      r.forEach(function (c) { tr.appendChild(c instanceof Node ? c : el('td', c)); });
      t.appendChild(tr);
    });
    box.appendChild(t);
  }
  function note(id, text) {
    var box = document.getElementById(id);
    box.replaceChildren(el('p', text, 'note'));
  }
  function td(text, cls) { return el('td', text, cls); }

  async function alerts() {
    var r = await api('GET', '/v1/alerts?status=open');
    if (r.note) return note('alerts', r.note);
    table('alerts', ['severity', 'kind', 'subject', 'message', 'opened', ''], r.body.data.map(function (a) {
      var cell = el('td');
      if (!a.acknowledgedAt) {
        var b = el('button', 'acknowledge');
        b.addEventListener('click', async function () {
          var done = await api('POST', '/v1/alerts/' + encodeURIComponent(a.id) + '/ack');
          if (done.note) alert(done.note);
          alerts();
        });
        cell.appendChild(b);
      } else cell.textContent = 'acknowledged';
      return [td(a.severity, a.severity), a.kind, a.subject, td(a.message, 'msg'), when(a.openedAt), cell];
    }));
  }

  async function credentials() {
    var r = await api('GET', '/v1/vault/credentials');
    if (r.note) return note('credentials', r.note);
    var rows = [];
    r.body.data.forEach(function (p) {
      (p.versions || []).filter(function (v) { return v.status === 'current' || v.status === 'previous' || v.status === 'pending'; }).forEach(function (v) {
        rows.push([p.partner, 'v' + v.version + ' ' + v.status, td(v.health, v.health === 'ok' ? 'ok' : v.health === 'failing' || v.health === 'expired' ? 'critical' : 'warning'), when(v.expiresAt || v.graceUntil), when(v.lastVerifiedAt), when(v.lastUsedAt)]);
      });
    });
    table('credentials', ['partner', 'version', 'health', 'expires', 'last verified', 'last used'], rows);
  }

  async function keys() {
    var r = await api('GET', '/v1/analytics/keys?limit=200');
    if (r.note) return note('keys', r.note);
    table('keys', ['key', 'name', 'status', 'requests (7 d)', '4xx', '5xx', 'p95 ms', 'last used', 'quota used', 'flags', 'clients'], r.body.data.map(function (k) {
      var flags = [k.zombie ? 'zombie' : '', k.silent ? 'silent' : ''].filter(Boolean).join(' ');
      var clients = (k.clients || []).map(function (c) { return (c.userAgent || '?') + (c.clientVersion ? ' ' + c.clientVersion : ''); }).join(', ');
      return [k.keyId, k.name, k.status, k.requests, pct(k.rate4xx), pct(k.rate5xx), ms(k.latencyMs.p95), when(k.lastUsedAt), k.quota ? pct(k.quota.ratio) + ' of ' + k.quota.limit + '/' + k.quota.period : '', td(flags, flags ? 'warning' : ''), td(clients, 'msg')];
    }));
  }

  async function endpoints() {
    var r = await api('GET', '/v1/analytics/endpoints');
    if (r.note) return note('endpoints', r.note);
    table('endpoints', ['route', 'requests (7 d)', '4xx', '5xx', 'p50 ms', 'p95 ms', 'p99 ms'], r.body.data.map(function (e) {
      return [e.route, e.requests, pct(e.rate4xx), pct(e.rate5xx), ms(e.latencyMs.p50), ms(e.latencyMs.p95), ms(e.latencyMs.p99)];
    }));
  }

  function refresh() {
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    [alerts, credentials, keys, endpoints].forEach(function (f) {
      f().catch(function (err) { note(f.name, 'Could not load: ' + err.message); });
    });
  }
  refresh();
  setInterval(refresh, 15000);
})();
`;

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NovaSkin hub dashboard</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<header>
  <h1>NovaSkin hub <span id="updated" class="note"></span></h1>
  <label for="key">API key</label>
  <input id="key" type="password" autocomplete="off" placeholder="nsk_live_... (alerts:read, vault:read, analytics:read)">
  <button id="save">Use</button><button id="forget">Forget</button>
</header>
<main>
  <section><h2>Open alerts</h2><div id="alerts"></div></section>
  <section><h2>Partner credentials</h2><div id="credentials"></div></section>
  <section class="wide"><h2>API keys, last 7 days</h2><div id="keys"></div></section>
  <section class="wide"><h2>Endpoints, last 7 days</h2><div id="endpoints"></div></section>
</main>
<script src="/dashboard/app.js"></script>
</body>
</html>
`;

/**
 * Only this page's own script and its one inline style block; fetches to this origin only; never
 * framed. The key typed in never leaves for another origin.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src ${sha256(DASHBOARD_CSS)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
