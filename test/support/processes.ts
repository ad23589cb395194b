import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus as machineCpus } from 'node:os';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** Root of the compiled tree these tests run from (dist/ or OUT_DIR). */
export const BUILD_ROOT = resolve(__dirname, '../..');

export interface Spawned {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a compiled entry point (e.g. `apps/api/src/main.js`) as a child process. */
export function spawnEntry(entry: string, env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, ['--enable-source-maps', '--disable-warning=ExperimentalWarning', resolve(BUILD_ROOT, entry)], {
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = w.re.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m[0]);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(re, timeoutMs = 20_000) {
      const m = re.exec(out);
      if (m) return Promise.resolve(m[0]);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`timed out waiting for ${re} in output:\n${out.slice(-3000)}`)), timeoutMs);
        waiters.push({ re, resolve: (s) => (clearTimeout(t), res(s)) });
        exited.then((code) => rej(new Error(`process exited (${code}) before ${re}:\n${out.slice(-3000)}`)));
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

export async function waitUntil<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * CPU time a process has used, in microseconds, all threads (V8's GC helpers and libuv's pool
 * included): the sum of /proc/<pid>/task/<tid>/schedstat, which counts in nanoseconds (utime and
 * stime in /proc/<pid>/stat count in 10 ms ticks, 0.5% of a 2 s benchmark round). Linux only; null
 * elsewhere. A thread that exited between two readings takes its time with it.
 */
export function processCpuMicros(pid: number | undefined): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1000;
  } catch {
    return null;
  }
}

/**
 * For benchmarks: pins the measured server to the last CPU and this process (the load generator)
 * to the first, all threads, so the scheduler does not move them onto one core mid-run and the
 * per-round spread narrows. Linux with taskset only; BENCH_PIN=0 turns it off. Returns what was
 * done, for the report.
 */
export function pinApart(serverPid: number | undefined, server: string): string {
  // The machine's CPUs, not availableParallelism(): that is this process's affinity, one CPU once an
  // earlier call in the same run pinned it.
  const cpus = machineCpus().length;
  if (process.env.BENCH_PIN === '0' || cpus < 2 || serverPid === undefined) return 'not pinned';
  // `taskset -a` walks the process's threads and fails if one ends meanwhile: try again rather than
  // leave the server on the load generator's core, which a child spawned after an earlier pinning inherits.
  const pin = (cpu: string, pid: number) => {
    for (let attempt = 0; attempt < 5; attempt++) if (spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' }).status === 0) return true;
    return false;
  };
  const a = pin(String(cpus - 1), serverPid);
  const b = pin('0', process.pid);
  return a && b ? `${server} pinned to CPU ${cpus - 1}, autocannon to CPU 0` : 'not pinned (taskset unavailable)';
}
