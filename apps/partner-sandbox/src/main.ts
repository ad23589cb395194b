import { describeBootError, loadEnvFile } from '@hub/core';
import { createSandboxApp } from './create-sandbox-app';

async function main() {
  loadEnvFile();
  const sandbox = await createSandboxApp();
  const url = await sandbox.listen();
  process.stdout.write(`partner-sandbox listening on ${url} (partners: ${sandbox.partners.map((p) => p.name).join(', ') || 'none'})\n`);
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`partner-sandbox: ${describeBootError(err)}\n`);
  process.exit(1);
});
