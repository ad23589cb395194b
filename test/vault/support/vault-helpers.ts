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

/** A webhook endpoint recording every delivery; the first `failFirst` ones are answered 500. */
export async function startAlertReceiver(failFirst = 0): Promise<AlertReceiver> {
  const hooks: ReceivedHook[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const answered = failures-- > 0 ? 500 : 204;
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
