import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { getMetadataStorage } from 'class-validator';
import { CoreConfig, loadConfig } from '@hub/core';
import { BUILD_ROOT } from '../support/processes';

/** The repository: the first directory above the build output that holds package.json (OUT_DIR may be nested). */
function repoRoot(): string {
  for (let dir = resolve(BUILD_ROOT, '..'); ; dir = resolve(dir, '..')) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dir === resolve(dir, '..')) throw new Error('no package.json above ' + BUILD_ROOT);
  }
}
const REPO = repoRoot();

/** Variable names .env.example mentions, set (`NAME=`) or commented out (`# NAME=`). */
function documented(): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(join(REPO, '.env.example'), 'utf8').split('\n')) {
    const m = /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/** Every compiled `*.config.js` of the apps and libs, and the validated variables of each class it exports. */
function configVariables(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.config.js')) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        for (const exported of Object.values(require(p) as Record<string, unknown>)) {
          if (typeof exported !== 'function') continue;
          for (const m of getMetadataStorage().getTargetValidationMetadatas(exported as new () => object, '', true, false)) {
            if (/^[A-Z][A-Z0-9_]*$/.test(m.propertyName)) found.set(m.propertyName, `${(exported as { name: string }).name} (${p.slice(BUILD_ROOT.length + 1)})`);
          }
        }
      }
    }
  };
  for (const root of ['apps', 'libs']) walk(join(BUILD_ROOT, root));
  return found;
}

describe('.env.example documents the configuration', () => {
  it('names every variable a config class validates', () => {
    const vars = configVariables();
    assert.ok(vars.size > 50, `found only ${vars.size} variables`);
    const have = documented();
    const missing = [...vars].filter(([v]) => !have.has(v)).map(([v, where]) => `${v} (${where})`);
    assert.deepEqual(missing, [], `not in .env.example:\n${missing.join('\n')}`);
  });

  it("npm start's first .env gets its own vault master key and pepper, which production accepts", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { firstEnv } = require(join(REPO, 'tools/first-env.js')) as { firstEnv(text: string): string };
    const example = readFileSync(join(REPO, '.env.example'), 'utf8');
    const read = (text: string) => Object.fromEntries(text.split('\n').map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m![1], m![2]]));
    const a = read(firstEnv(example));
    const b = read(firstEnv(example));
    const base = read(example);
    assert.notEqual(a.HUB_MASTER_KEYS, base.HUB_MASTER_KEYS);
    assert.notEqual(a.API_KEY_PEPPER, base.API_KEY_PEPPER);
    assert.notEqual(a.HUB_MASTER_KEYS, b.HUB_MASTER_KEYS);
    for (const k of Object.keys(base)) if (k !== 'HUB_MASTER_KEYS' && k !== 'API_KEY_PEPPER') assert.equal(a[k], base[k], k);
    assert.doesNotThrow(() => loadConfig(CoreConfig, { ...a, NODE_ENV: 'production' }));
    assert.throws(() => loadConfig(CoreConfig, { ...base, NODE_ENV: 'production' }), /public example value/);
  });
});
