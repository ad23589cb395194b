import 'reflect-metadata';
import { DiscoveryService, NestFactory, Reflector } from '@nestjs/core';
import { describeBootError, HUB_COMMAND, HubCommandMeta, HubCommandRunner, loadEnvFile, parseArgs } from '@hub/core';
import { CliModule } from './cli.module';

/**
 * `npm run hub -- <command> [args]`: the admin CLI. Commands are @HubCommand classes declared
 * by the libs and discovered here.
 */
async function main(argv: string[]) {
  loadEnvFile();
  process.env.HUB_PROCESS_NAME ??= 'cli';
  process.env.LOG_LEVEL ??= 'warn';
  process.env.LOG_REQUESTS = 'false';
  const [name, ...rest] = argv;
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'], abortOnError: false });
  try {
    const discovery = app.get(DiscoveryService);
    const reflector = app.get(Reflector);
    const commands = new Map<string, { meta: HubCommandMeta; runner: HubCommandRunner }>();
    for (const w of discovery.getProviders()) {
      if (!w.metatype || !w.instance) continue;
      const meta = reflector.get<HubCommandMeta>(HUB_COMMAND, w.metatype as never);
      if (meta) commands.set(meta.name, { meta, runner: w.instance as HubCommandRunner });
    }
    if (!name || name === 'help' || name === '--help') {
      process.stdout.write('Usage: npm run hub -- <command> [options]\n\nCommands:\n');
      process.stdout.write('  help                  this list\n');
      for (const { meta } of [...commands.values()].sort((a, b) => a.meta.name.localeCompare(b.meta.name))) {
        process.stdout.write(`  ${meta.name.padEnd(22)}${meta.description}\n${meta.usage ? `  ${''.padEnd(22)}${meta.usage}\n` : ''}`);
      }
      return 0;
    }
    const cmd = commands.get(name);
    if (!cmd) {
      process.stderr.write(`unknown command "${name}"; run \`npm run hub -- help\`\n`);
      return 2;
    }
    await cmd.runner.run(parseArgs(rest));
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    process.stderr.write(`hub: ${err?.name === 'CommandError' ? err.message : describeBootError(err)}\n`);
    process.exit(1);
  });
