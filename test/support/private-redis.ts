import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './processes';

export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free port, for tests that stop Redis or need another
 * eviction policy. The shared Redis on 6379 is never touched.
 */
export async function startPrivateRedis(extraArgs: string[] = ['--maxmemory-policy', 'noeviction']): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ReturnType<typeof spawn> | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: 'ignore' });
    await waitUntil(async () => {
      const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      // Refused until the server listens: connect() rejects with it, and that is all this probe needs.
      r.on('error', () => undefined);
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    }, 5000);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((res) => {
      c.on('exit', () => res());
      c.kill('SIGKILL');
    });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}
