import { CoreConfig, describeBootError, forceExitAfterGrace, loadConfig, loadEnvFile } from '@hub/core';
import { createApiApp } from './create-api-app';

async function main() {
  loadEnvFile();
  const cfg = loadConfig(CoreConfig);
  forceExitAfterGrace(cfg.SHUTDOWN_GRACE_MS);
  const app = await createApiApp();
  await app.listen({ port: cfg.PORT, host: cfg.HOST });
  process.stdout.write(`api listening on http://${cfg.HOST}:${cfg.PORT} (docs at /docs)\n`);
}

main().catch((err) => {
  process.stderr.write(`api: ${describeBootError(err)}\n`);
  process.exit(1);
});
