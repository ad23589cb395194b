'use strict';
// Builds when any source file is newer than the last build (or there is no build yet).
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function newestSource(dir, newest = 0) {
  for (const e of readdirSync(dir)) {
    if (e === 'node_modules' || e.startsWith('.')) continue;
    const p = path.join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) newest = newestSource(p, newest);
    else if (e.endsWith('.ts') || e === 'tsconfig.json') newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

function ensureBuilt() {
  const outDir = path.resolve(root, process.env.OUT_DIR || 'dist');
  const stamp = path.join(outDir, '.build-stamp');
  const src = Math.max(...['apps', 'libs', 'tools', 'bench', 'test'].map((d) => (existsSync(path.join(root, d)) ? newestSource(path.join(root, d)) : 0)));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= src) return;
  process.stderr.write('building (sources changed since the last build)...\n');
  // tools/build.js writes the stamp.
  execFileSync(process.execPath, [path.join(root, 'tools/build.js')], { stdio: 'inherit', cwd: root });
}

module.exports = { ensureBuilt };
