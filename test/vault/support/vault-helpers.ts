import type { Partner, PartnerFields } from '@hub/core';
import type { VaultService } from '@hub/vault';
import { createServer, IncomingHttpHeaders } from 'node:http';
import type { DataSource } from 'typeorm';

/**
 * Stores the next version of `partner` straight in the table as `pending` (as a PUT's commit leaves
 * it before verification, or an earlier release / a .env import did), sealed like the vault seals
 * it, and returns its number. Nothing verifies or promotes it.
 */
export async function insertVersion<P extends Partner>(ds: DataSource, vault: VaultService, partner: P, fields: PartnerFields[P], source = 'api'): Promise<number> {
  const [{ v }] = await ds.query(`SELECT max(version) + 1 AS v FROM vault_credential_versions WHERE partner = $1`, [partner]);
  const version = Number(v);
  const plain = fields as unknown as Record<string, string>;
  const sealed = vault.envelope.encrypt(partner, version, plain);
  await ds.query(
    `INSERT INTO vault_credential_versions (partner, version, status, source, master_key_version, wrapped_key, ciphertext, fingerprint) VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7)`,
    [partner, version, source, sealed.masterKeyVersion, sealed.wrappedKey, sealed.ciphertext, vault.envelope.fingerprint(plain)],
  );
  return version;
}

/** The Amazon credential the tests' environment configures, with another client secret. */
export function amazonFields(clientSecret: string, env: Record<string, string | undefined> = process.env) {
  return {
    clientId: env.AMAZON_LWA_CLIENT_ID,
    clientSecret,
    refreshToken: env.AMAZON_LWA_REFRESH_TOKEN,
    sellerId: env.AMAZON_SELLER_ID,
    marketplaceId: env.AMAZON_MARKETPLACE_ID,
  };
}

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

export interface AlertReceiver {
  url: string;
  hooks: ReceivedHook[];
  close(): Promise<void>;
}

/** A webhook endpoint recording every delivery; the first `failFirst` attempts of each webhook (by webhook-id) are answered 500. */
export async function startAlertReceiver(failFirst = 0): Promise<AlertReceiver> {
  const hooks: ReceivedHook[] = [];
  // Counted per webhook-id: another alert's webhook arriving first must not take this one's failures.
  const failures = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const failed = failures.get(id) ?? 0;
      failures.set(id, failed + 1);
      const answered = failed < failFirst ? 500 : 204;
      hooks.push({ headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/alerts`,
    hooks,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
