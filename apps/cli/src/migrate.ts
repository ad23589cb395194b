import { CoreConfig, describeBootError, ensureDatabase, loadConfig, loadEnvFile, runMigrations } from '@hub/core';

/** `npm run db:migrate`: create the database if it is missing, then apply pending migrations. */
async function main() {
  loadEnvFile();
  const cfg = loadConfig(CoreConfig);
  const created = await ensureDatabase(cfg.DATABASE_URL);
  if (created) process.stdout.write(`created database ${new URL(cfg.DATABASE_URL).pathname.slice(1)}\n`);
  const applied = await runMigrations(cfg.DATABASE_URL);
  process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database schema is up to date\n');
}

main().catch((err) => {
  process.stderr.write(`db:migrate: ${describeBootError(err)}\n`);
  process.exit(1);
});
