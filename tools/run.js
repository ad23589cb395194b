#!/usr/bin/env node
// Runs one compiled entry point, building first when the sources are newer than the build.
//   node tools/run.js api|worker|sandbox|cli|migrate [args...]
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { ensureBuilt } = require('./ensure-built');

const ENTRIES = {
  api: 'apps/api/src/main.js',
  worker: 'apps/worker/src/main.js',
  sandbox: 'apps/partner-sandbox/src/main.js',
  cli: 'apps/cli/src/main.js',
  migrate: 'apps/cli/src/migrate.js',
  demo: 'tools/demo.js',
};
const [name, ...args] = process.argv.slice(2);
if (!ENTRIES[name]) {
  console.error(`usage: node tools/run.js <${Object.keys(ENTRIES).join('|')}> [args]`);
  process.exit(2);
}
ensureBuilt();
const outDir = path.resolve(__dirname, '..', process.env.OUT_DIR || 'dist');
const child = spawn(process.execPath, ['--enable-source-maps', '--disable-warning=ExperimentalWarning', path.join(outDir, ENTRIES[name]), ...args], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
