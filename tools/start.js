#!/usr/bin/env node
// npm start: one command for a developer machine. Creates .env from .env.example on first run,
// builds if needed, creates the database and applies migrations, then runs the partner sandbox,
// the api and the worker together with labelled output. Ctrl-C stops all three.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { ensureBuilt } = require('./ensure-built');
const { firstEnv } = require('./first-env');

const root = path.resolve(__dirname, '..');
process.chdir(root);
if (!existsSync('.env') && existsSync('.env.example')) {
  writeFileSync('.env', firstEnv(readFileSync('.env.example', 'utf8')), { mode: 0o600 });
  console.log('created .env from .env.example, with a new vault master key and API key pepper (development defaults otherwise; edit it for your setup)');
}
ensureBuilt();
const dist = path.resolve(root, process.env.OUT_DIR || 'dist');
const node = [process.execPath, '--enable-source-maps', '--disable-warning=ExperimentalWarning'];
try {
  execFileSync(node[0], [...node.slice(1), path.join(dist, 'apps/cli/src/migrate.js')], { stdio: 'inherit' });
} catch {
  process.exit(1);
}

const procs = [
  ['sandbox', 'apps/partner-sandbox/src/main.js', '\x1b[35m'],
  ['api', 'apps/api/src/main.js', '\x1b[36m'],
  ['worker', 'apps/worker/src/main.js', '\x1b[33m'],
];
const children = [];
let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  // Past the children's own SHUTDOWN_GRACE_MS (25 s by default), so they are never orphaned mid-shutdown.
  setTimeout(() => process.exit(code), 30000).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r))))).then(() => process.exit(code));
}
for (const [label, entry, color] of procs) {
  const child = spawn(node[0], [...node.slice(1), path.join(dist, entry)], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const prefix = process.stdout.isTTY ? `${color}${label.padEnd(7)}\x1b[0m| ` : `${label.padEnd(7)}| `;
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) process.stdout.write(prefix + l + '\n');
    });
  }
  child.on('exit', (code) => {
    if (!stopping) {
      console.log(`${label} exited with code ${code}; stopping the others`);
      stopAll(code || 1);
    }
  });
  children.push(child);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
