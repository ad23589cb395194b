#!/usr/bin/env node
// npm run bench:<name> -> builds if needed, then runs dist/bench/<name>.js.
// npm run bench       -> every bench/*.ts in turn.
'use strict';
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const path = require('node:path');
const { ensureBuilt } = require('./ensure-built');
const { dropRedisKeys, newRedisStem } = require('./redis-stem');

const root = path.resolve(__dirname, '..');
ensureBuilt();
const outDir = path.resolve(root, process.env.OUT_DIR || 'dist');
const names = process.argv[2]
  ? [process.argv[2]]
  : readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts') && !f.includes('.spec.') && !f.startsWith('_')).map((f) => f.replace(/\.ts$/, ''));
let failed = 0;
const stem = newRedisStem('bench');
for (const name of names) {
  console.log(`\n=== bench:${name}`);
  const r = spawnSync(process.execPath, ['--enable-source-maps', '--disable-warning=ExperimentalWarning', path.join(outDir, 'bench', `${name}.js`), ...process.argv.slice(3)], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, TEST_REDIS_STEM: stem },
  });
  if (r.status !== 0) failed++;
}
dropRedisKeys(stem).finally(() => process.exit(failed ? 1 : 0));
