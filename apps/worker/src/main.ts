import { CoreConfig, describeBootError, forceExitAfterGrace, loadConfig, loadEnvFile } from '@hub/core';
import { createWorkerApp } from './create-worker-app';

async function main() {
  loadEnvFile();
  // The validated value, as the api reads it: a raw read turned an empty SHUTDOWN_GRACE_MS into 0,
  // and SIGTERM then cut running jobs off at once.
  forceExitAfterGrace(loadConfig(CoreConfig).SHUTDOWN_GRACE_MS);
  await createWorkerApp();
  process.stdout.write('worker started\n');
}

main().catch((err) => {
  process.stderr.write(`worker: ${describeBootError(err)}\n`);
  process.exit(1);
});
