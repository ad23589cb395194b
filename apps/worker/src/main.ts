import { describeBootError, forceExitAfterGrace, loadEnvFile } from '@hub/core';
import { createWorkerApp } from './create-worker-app';

loadEnvFile();
forceExitAfterGrace(Number(process.env.SHUTDOWN_GRACE_MS ?? 10_000));
createWorkerApp()
  .then(() => process.stdout.write('worker started\n'))
  .catch((err) => {
    process.stderr.write(`worker: ${describeBootError(err)}\n`);
    process.exit(1);
  });
