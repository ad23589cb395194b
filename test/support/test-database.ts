import { dropDatabase, ensureDatabase, runMigrations } from '@hub/core';
import { randomBytes } from 'node:crypto';

/** The cluster's maintenance database, where test databases are created from (and queries that need no tables can run). */
export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database with a unique name; sets DATABASE_URL for in-process apps. */
export async function createTestDatabase(label = 'e2e'): Promise<TestDatabase> {
  const name = `hub_test_${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  await ensureDatabase(url);
  await runMigrations(url);
  process.env.DATABASE_URL = url;
  return { url, drop: () => dropDatabase(url) };
}
