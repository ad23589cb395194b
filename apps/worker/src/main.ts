import { describeBootError, loadEnvFile } from '@hub/core';
import { createWorkerApp } from './create-worker-app';

loadEnvFile();
createWorkerApp()
  .then(() => process.stdout.write('worker started\n'))
  .catch((err) => {
    process.stderr.write(`worker: ${describeBootError(err)}\n`);
    process.exit(1);
  });
