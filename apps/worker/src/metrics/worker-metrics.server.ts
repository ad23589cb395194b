import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MetricsService, ProblemException, requestIdFor, toProblem } from '@hub/core';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkerConfig } from '../worker.config';

/**
 * The worker's Prometheus endpoint: `GET /metrics` on WORKER_METRICS_HOST:WORKER_METRICS_PORT.
 * The worker serves no API; without this its counters (pushes, sync lag, reconciliation repairs,
 * alert deliveries) would exist only in its memory. A bare node:http listener, not a Nest HTTP
 * app: one read-only route, nothing else to expose.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerMetrics');
  private server: Server | null = null;
  /** The bound port (WORKER_METRICS_PORT=0 picks a free one), or null when disabled. */
  port: number | null = null;

  constructor(
    private readonly cfg: WorkerConfig,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.cfg.WORKER_METRICS_ENABLED) return;
    const server = createServer((req, res) => void this.handle(req, res));
    // Scrapes are short; do not let an idle scraper connection hold shutdown.
    server.keepAliveTimeout = 5_000;
    const { WORKER_METRICS_PORT: port, WORKER_METRICS_HOST: host } = this.cfg;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(
                `WORKER_METRICS_PORT ${port} on ${host} is already in use (another worker on this host?): give each worker its own port, ` +
                  `0 for any free one, or WORKER_METRICS_ENABLED=false`,
              )
            : err,
        );
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.logger.log({ host, port: this.port }, 'worker metrics listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return problem(req, res, new ProblemException(404, 'not-found', 'The worker serves GET /metrics only'));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return problem(req, res, new ProblemException(405, 'method-not-allowed', 'Use GET /metrics', { headers: { allow: 'GET, HEAD' } }));
    }
    try {
      const body = await this.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      // A collect() callback failed (Redis or Postgres away): say so rather than serve a partial page.
      this.logger.error({ err }, 'could not collect metrics');
      problem(req, res, new ProblemException(503, 'service-unavailable', 'Metrics could not be collected; retry shortly'));
    }
  }
}

/** The api's problem body (core's toProblem), requestId included, over plain node:http. */
function problem(req: IncomingMessage, res: ServerResponse, p: ProblemException): void {
  const requestId = requestIdFor(req);
  const { body, headers } = toProblem(p, requestId);
  res.writeHead(body.status, { ...headers, 'x-request-id': requestId, 'content-type': 'application/problem+json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
