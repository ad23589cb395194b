#!/usr/bin/env node
// npm test: compile, then run every *.spec.js (unit, beside the code) and test/**/*.e2e-spec.js
// with Node's own test runner. `npm test -- inventory` runs only files whose path contains it.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const path = require('node:path');
const { dropRedisKeys, newRedisStem } = require('./redis-stem');

const root = path.resolve(__dirname, '..');
const outDir = path.resolve(root, process.env.OUT_DIR || 'dist');
execFileSync(process.execPath, [path.join(root, 'tools/build.js')], { stdio: 'inherit', env: process.env });

function walk(dir, acc = []) {
  let entries;
  try { entries = readdirSync(dir); } catch { return acc; }
  for (const e of entries) {
    const p = path.join(dir, e);
    if (e === 'node_modules') continue;
    if (statSync(p).isDirectory()) walk(p, acc);
    else if (/\.(e2e-)?spec\.js$/.test(e)) acc.push(p);
  }
  return acc;
}
const filters = process.argv.slice(2);
const files = ['apps', 'libs', 'test'].flatMap((d) => walk(path.join(outDir, d)))
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();
if (!files.length) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY || '2';
// Every test file's Redis prefix starts with this run's stem (test/support/test-env.ts), so the
// keys the run leaves behind can be deleted when it ends.
const stem = newRedisStem('test');
const r = spawnSync(process.execPath, [
  // --trace-warnings: a warning a test run prints (MaxListenersExceeded...) comes with the stack that caused it.
  '--enable-source-maps', '--disable-warning=ExperimentalWarning', '--trace-warnings',
  '--test', '--test-force-exit', `--test-concurrency=${concurrency}`, '--test-timeout=180000',
  ...(process.env.TEST_REPORTER ? [`--test-reporter=${process.env.TEST_REPORTER}`] : []),
  ...files,
], { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'test', TEST_REDIS_STEM: stem } });

dropRedisKeys(stem).finally(() => process.exit(r.status ?? 1));
