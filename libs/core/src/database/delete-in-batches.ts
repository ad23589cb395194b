import type { DataSource } from 'typeorm';

/**
 * Runs a `DELETE ... LIMIT <batch>` statement again and again until it deletes fewer rows than
 * the batch, and returns how many it deleted in all. Retention purges delete this way so that no
 * statement holds its row locks for long next to the inserts the hot paths make.
 */
export async function deleteInBatches(ds: DataSource, sql: string, params: unknown[], batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    // TypeORM answers a DELETE on Postgres with [rows, affected count].
    const res: unknown = await ds.query(sql, params);
    const n = Array.isArray(res) && typeof res[1] === 'number' ? res[1] : 0;
    total += n;
    if (n < batch) return total;
  }
}
