#!/usr/bin/env node
// Compiles the whole monorepo with tsc, then rewrites the @hub/* path aliases to
// relative requires so the output runs on plain Node. OUT_DIR lets several people
// (or CI jobs) build side by side without clobbering each other's dist/.
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdirSync, utimesSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const outDir = process.env.OUT_DIR || 'dist';
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
// Sources saved while tsc runs must still count as newer than this build (tools/ensure-built.js).
const started = new Date();
try {
  run(bin('tsc'), ['-p', 'tsconfig.json', '--outDir', outDir]);
} catch {
  // tsc exits non-zero on type errors but still emits; `npm run lint` is the type gate.
  if (process.env.BUILD_STRICT) process.exit(1);
}
run(bin('tsc-alias'), ['-p', 'tsconfig.json', '--outDir', outDir]);
// The stamp ensure-built compares sources against, dated when this build started, so a plain
// `npm run build` is not followed by a second build on the next `npm test` or `npm run bench:*`.
const stamp = path.resolve(root, outDir, '.build-stamp');
mkdirSync(path.dirname(stamp), { recursive: true });
writeFileSync(stamp, started.toISOString());
utimesSync(stamp, started, started);
