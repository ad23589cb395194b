import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'dotenv';

/**
 * Loads `.env` from the working directory into process.env without overriding what the
 * environment already sets (the environment wins, as the CONTRACT says).
 */
export function loadEnvFile(file = resolve(process.cwd(), '.env')): void {
  if (process.env.HUB_SKIP_ENV_FILE === '1' || !existsSync(file)) return;
  const parsed = parse(readFileSync(file));
  for (const [k, v] of Object.entries(parsed)) {
    if (process.env[k] === undefined) process.env[k] = v;
  }
}
