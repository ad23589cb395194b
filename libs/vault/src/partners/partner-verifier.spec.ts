import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { VaultConfig } from '../vault.config';
import { PartnerVerifier } from './partner-verifier';

/** What the fake partner answers next, per path prefix. */
const answers = new Map<string, { status: number; body: unknown }>();

describe('PartnerVerifier: refused, unavailable, or neither', () => {
  let server: Server;
  let base: string;
  let verifier: PartnerVerifier;
  const nykaa = { apiKey: 'k', sellerId: 'NYK-1' };
  const amazon = { clientId: 'c', clientSecret: 's', refreshToken: 'r', sellerId: 'S1', marketplaceId: 'A21TJRUUN4KGV' };

  before(async () => {
    server = createServer((req, res) => {
      const a = [...answers].find(([prefix]) => req.url!.startsWith(prefix))?.[1] ?? { status: 500, body: {} };
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    verifier = new PartnerVerifier({ AMAZON_LWA_URL: `${base}/auth/o2/token`, AMAZON_SPAPI_URL: base, NYKAA_API_URL: `${base}/nykaa`, VAULT_VERIFY_TIMEOUT_MS: 2000 } as VaultConfig);
  });
  after(() => new Promise((r) => server.close(r)));

  const nykaaAnswers = async (status: number, body: unknown) => {
    answers.clear();
    answers.set('/nykaa/', { status, body });
    return verifier.verify('nykaa', nykaa);
  };

  it('a 5xx or 429 is unavailable (the PUT answers 503); 401 is a refusal (422)', async () => {
    for (const status of [503, 500, 429]) {
      const r = (await nykaaAnswers(status, { error: 'busy' })) as { ok: boolean; rejected: boolean; unavailable?: boolean };
      assert.deepEqual([r.ok, r.rejected, r.unavailable], [false, false, true], `HTTP ${status}`);
    }
    const refused = (await nykaaAnswers(401, { error: 'unauthorized' })) as { rejected: boolean; unavailable?: boolean };
    assert.equal(refused.rejected, true);
    assert.equal(refused.unavailable, false);
  });

  it('an answer that proves nothing is neither refused nor unavailable: a Nykaa check without sellerId, SP-API URL answered by something else', async () => {
    const noSeller = (await nykaaAnswers(200, { ok: true })) as { rejected: boolean; unavailable?: boolean };
    assert.equal(noSeller.rejected, false);
    assert.ok(!noSeller.unavailable);

    answers.clear();
    answers.set('/auth/o2/token', { status: 200, body: { access_token: 'Atza|x', token_type: 'bearer', expires_in: 3600 } });
    answers.set('/listings/', { status: 404, body: { message: 'no such route' } });
    const wrongUrl = (await verifier.verify('amazon', amazon)) as { rejected: boolean; unavailable?: boolean; error: string };
    assert.match(wrongUrl.error, /AMAZON_SPAPI_URL/);
    assert.equal(wrongUrl.rejected, false);
    assert.ok(!wrongUrl.unavailable);
  });

  it('an unreachable partner is unavailable', async () => {
    const closed = new PartnerVerifier({ NYKAA_API_URL: 'http://127.0.0.1:9/nykaa', VAULT_VERIFY_TIMEOUT_MS: 2000 } as VaultConfig);
    const r = (await closed.verify('nykaa', nykaa)) as { unavailable?: boolean; error: string };
    assert.equal(r.unavailable, true);
    assert.match(r.error, /unreachable/);
  });
});
