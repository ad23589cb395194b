/**
 * Nest's shutdown hooks drain in-flight requests and jobs on SIGTERM/SIGINT; this bounds how
 * long that may take, so a stuck job cannot keep a deploy waiting forever.
 */
export function forceExitAfterGrace(graceMs: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        process.stderr.write(`shutdown took longer than ${graceMs} ms; exiting\n`);
        process.exit(1);
      }, graceMs).unref();
    });
  }
}
