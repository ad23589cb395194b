import { createServer, IncomingHttpHeaders } from 'node:http';

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
