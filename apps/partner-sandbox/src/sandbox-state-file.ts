import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { SandboxPartner } from './sandbox-partner';

const SAVE_EVERY_MS = 1000;

/**
 * Keeps what real partners keep across our restarts (their listings) in a JSON file, so that
 * restarting `npm start` does not leave the hub pushing stock to listings the sandbox forgot
 * (every push would answer 404). Saved once a second when it changed, and on close; written to a
 * temporary file and renamed, so a crash mid-write leaves the previous file whole.
 */
export class SandboxStateFile {
  private timer: NodeJS.Timeout | null = null;
  private last = '';

  constructor(
    private readonly path: string,
    private readonly partners: SandboxPartner[],
    private readonly log: Logger,
  ) {}

  /** Restores every partner's part; a missing file is a first start, an unreadable one is logged and skipped. */
  load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ path: this.path, err: (err as Error).message }, 'sandbox state file not readable; starting empty');
      return;
    }
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.log.warn({ path: this.path }, 'sandbox state file is not JSON; starting empty');
      return;
    }
    for (const p of this.partners) if (p.restore && data && typeof data === 'object' && p.name in data) p.restore(data[p.name]);
    this.last = text;
  }

  start(): void {
    this.timer = setInterval(() => this.save(), SAVE_EVERY_MS);
    this.timer.unref();
  }

  save(): void {
    const data: Record<string, unknown> = {};
    for (const p of this.partners) if (p.snapshot) data[p.name] = p.snapshot();
    const text = JSON.stringify(data);
    if (text === this.last) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(this.path + '.tmp', text);
      renameSync(this.path + '.tmp', this.path);
      this.last = text;
    } catch (err) {
      this.log.warn({ path: this.path, err: (err as Error).message }, 'could not save the sandbox state file');
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.save();
  }
}
