/**
 * Teardown shared by the test stacks (orders, catalog): every step runs even when an earlier one
 * fails (a worker that will not close must not leave the api, sandbox and database behind), and
 * process.env goes back to what it was when the stack started.
 */

/** Takes a copy of process.env now; the function it returns puts it back exactly (keys added since are removed). */
export function snapshotEnv(): () => void {
  const saved = { ...process.env };
  return () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}

/** Runs every step in order, whatever the others do, then throws the first failure if there was one. */
export async function closeInOrder(...steps: (() => unknown)[]): Promise<void> {
  let failure: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
}
