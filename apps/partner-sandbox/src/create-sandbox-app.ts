import 'reflect-metadata';
import { loadConfig, pinoOptions } from '@hub/core';
import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { registerControlRoutes } from './control/control.routes';
import { FaultStore } from './faults/fault-store';
import { PARTNER_FACTORIES } from './partners';
import { SandboxConfig } from './sandbox.config';
import { SandboxContext, SandboxPartner } from './sandbox-partner';
import { SandboxStateFile } from './sandbox-state-file';

export interface Sandbox {
  app: FastifyInstance;
  ctx: SandboxContext;
  partners: SandboxPartner[];
  /** Where listings are kept across restarts, or null for memory only (SANDBOX_STATE_FILE=none). */
  stateFile: string | null;
  /** Listens and returns the base URL. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

/** Builds the partner sandbox: a plain Fastify app (partners speak their own formats, not ours). */
export async function createSandboxApp(partnerFactories = PARTNER_FACTORIES): Promise<Sandbox> {
  const config = loadConfig(SandboxConfig);
  const log = pino(pinoOptions(config.LOG_LEVEL, 'sandbox'));
  const app = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024 });
  let baseUrl = config.SANDBOX_PUBLIC_URL ?? `http://127.0.0.1:${config.SANDBOX_PORT}`;
  const ctx: SandboxContext = { config, faults: new FaultStore(), log, publicUrl: () => baseUrl };
  const partners = partnerFactories.map((f) => f());
  for (const p of partners) await p.register(app, ctx);
  registerControlRoutes(app, ctx, partners);
  const stateFile = config.SANDBOX_STATE_FILE !== 'none' ? new SandboxStateFile(config.SANDBOX_STATE_FILE, partners, log) : null;
  stateFile?.load();
  stateFile?.start();
  return {
    app,
    ctx,
    partners,
    stateFile: stateFile ? config.SANDBOX_STATE_FILE : null,
    async listen(port = config.SANDBOX_PORT) {
      await app.listen({ port, host: config.HOST });
      const addr = app.server.address() as { port: number };
      if (!config.SANDBOX_PUBLIC_URL) baseUrl = `http://127.0.0.1:${addr.port}`;
      return baseUrl;
    },
    async close() {
      stateFile?.close();
      for (const p of partners) await p.close?.();
      await app.close();
    },
  };
}
