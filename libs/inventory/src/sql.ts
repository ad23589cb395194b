import type { EntityManager } from 'typeorm';

/**
 * Rows of a query. TypeORM answers UPDATE/DELETE with `[rows, affectedCount]` and everything
 * else with `rows`; callers here always want the rows.
 */
export async function sql<T = any>(m: Pick<EntityManager, 'query'>, text: string, params: unknown[] = []): Promise<T[]> {
  const res: unknown = await m.query(text, params);
  if (Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === 'number') return res[0] as T[];
  return (res ?? []) as T[];
}
