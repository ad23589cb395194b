import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FaultStore } from './faults/fault-store';
import { SandboxConfig } from './sandbox.config';

export interface SandboxContext {
  config: SandboxConfig;
  faults: FaultStore;
  log: Logger;
  /** Base URL clients reach this sandbox at (for URLs it hands out). */
  publicUrl(): string;
}

/**
 * One partner's stand-in. It registers its routes (in the partner's real wire format), keeps
 * its own in-memory state, and reads faults from the shared store. `/_sandbox/state` shows
 * `state()` under `name`; `/_sandbox/reset` calls `reset()`.
 */
export interface SandboxPartner {
  readonly name: string;
  register(app: FastifyInstance, ctx: SandboxContext): void | Promise<void>;
  state(): unknown;
  reset(): void;
  /** Optional: stop timers (webhook retries) on shutdown. */
  close?(): Promise<void> | void;
  /**
   * Optional: what the real partner keeps across our restarts (listings), as plain JSON, saved
   * to SANDBOX_STATE_FILE; `restore` takes it back at boot (and ignores what it does not recognise).
   */
  snapshot?(): unknown;
  restore?(data: unknown): void;
}
