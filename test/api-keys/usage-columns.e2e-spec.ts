import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { clientsJson, HIST, USAGE_COLUMNS, usageColumns, UsageRow } from '../../libs/api-keys/src/usage/usage-columns';
import { ADMIN_URL } from '../support/test-database';

/**
 * The usage write's rows travel as hand-built Postgres array literals (usageColumns). Postgres
 * itself reads them back here, through the same unnest/ORDINALITY and client join the write uses:
 * any text a key or route could hold, hours, microsecond latencies and histogram spans.
 */
describe('usage write encoding, read back by Postgres', () => {
  let pg: Client;
  before(async () => {
    pg = new Client({ connectionString: ADMIN_URL });
    await pg.connect();
  });
  after(() => pg.end());

  const hour = Date.UTC(2026, 10, 28, 15);
  const row = (k: string, extra: Partial<UsageRow> = {}): UsageRow => ({ k, h: hour, r: 3, e4: 1, e5: 0, ls: 12.3456789, lm: 7.0004, lu: hour + 5, ho: 0, hb: [], ...extra });

  async function readBack(rows: UsageRow[]) {
    const { rows: out } = await pg.query(
      `SELECT t.k, to_timestamp(t.h * 3600) AS hour, t.r::int AS r, t.e4::int AS e4, t.e5::int AS e5, t.ls / 1000 AS ls, t.lm / 1000 AS lm,
              (${HIST})::int[] AS hist, c.cl
         FROM ${USAGE_COLUMNS}
         LEFT JOIN json_to_recordset($10::json) AS c(n bigint, cl jsonb) ON c.n = t.n
        ORDER BY t.n`,
      [...usageColumns(rows), clientsJson(rows)],
    );
    return out;
  }

  it('keeps every key or route text exactly, whatever it holds (quotes, backslashes, commas, braces, spaces, NULL-like, empty, non-ASCII)', async () => {
    const texts = ['AbC012xyz789', 'GET /v1/keys/:keyId', 'say "hi"', 'back\\slash\\', '\\"', 'a,b', '{x}', ' lead and trail ', 'NULL', '', 'ünï 💡'];
    const out = await readBack(texts.map((k) => row(k)));
    assert.deepEqual(out.map((r) => r.k), texts);
  });

  it('carries hours, counts, latencies in whole microseconds and histogram spans', async () => {
    const out = await readBack([
      row('k1', { r: 12, e4: 2, e5: 1, ls: 12.3456789, lm: 7.0004, ho: 2, hb: [1, 0, 3] }),
      row('k2', { h: hour - 3_600_000, ls: 0, lm: 0, ho: 0, hb: [] }),
      row('k3', { ho: 0, hb: [5] }),
    ]);
    assert.deepEqual(out[0].hour, new Date(hour));
    assert.deepEqual(out[1].hour, new Date(hour - 3_600_000));
    assert.deepEqual([out[0].r, out[0].e4, out[0].e5], [12, 2, 1]);
    assert.equal(out[0].ls, 12.346);
    assert.equal(out[0].lm, 7);
    assert.equal(out[1].ls, 0);
    assert.deepEqual(out[0].hist, [0, 0, 1, 0, 3]);
    assert.deepEqual(out[1].hist, [], 'no span: an empty histogram, which the upsert leaves as stored');
    assert.deepEqual(out[2].hist, [5]);
  });

  it('joins client pairs to their own row only', async () => {
    const out = await readBack([
      row('k1'),
      row('k2', { cl: [['curl/8 "quoted"', null], ['app', '2.1']] }),
      row('k3'),
      row('k4', { cl: [[null, '1.0']] }),
    ]);
    assert.deepEqual(
      out.map((r) => r.cl),
      [null, [['curl/8 "quoted"', null], ['app', '2.1']], null, [[null, '1.0']]],
    );
  });
});
