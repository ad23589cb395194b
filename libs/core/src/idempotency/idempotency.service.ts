import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { deleteInBatches } from '../database/delete-in-batches';
import { ProblemException } from '../http/problem';

export interface IdempotentRequest {
  /** Who is asking (the API key id): keys are scoped per caller, as at Stripe. */
  actor: string;
  /** Which operation, e.g. `inventory.adjust:SKU-1` or `orders.create`. */
  scope: string;
  /** The Idempotency-Key header. */
  key: string | undefined;
  /** Whatever identifies the request's meaning (body and path params). */
  fingerprint: unknown;
}

export interface IdempotentResult<T> {
  status: number;
  body: T;
  replayed: boolean;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/**
 * Runs `work` once per (actor, scope, Idempotency-Key). The record is inserted in the same
 * transaction as the work, so a concurrent duplicate waits on the unique key and then replays
 * the committed response; if the work fails, nothing is recorded and the client may retry.
 * Same key with a different request: 422 `idempotency-key-reused`.
 */
@Injectable()
export class IdempotencyService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  static requireKey(key: string | undefined): string {
    if (key === undefined || key === '') {
      throw new ProblemException(400, 'missing-idempotency-key', 'Send an Idempotency-Key header (for example a UUID) so a retry cannot apply twice');
    }
    if (!KEY_PATTERN.test(key)) {
      throw new ProblemException(400, 'invalid-idempotency-key', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    return key;
  }

  /** Forgets keys older than `hours`; returns how many were deleted. Batched to keep locks short. */
  purgeOlderThan(hours: number, batch = 5000): Promise<number> {
    return deleteInBatches(
      this.ds,
      `DELETE FROM idempotency_records WHERE ctid IN (
         SELECT ctid FROM idempotency_records WHERE created_at < now() - make_interval(hours => $1) LIMIT $2)`,
      [hours, batch],
      batch,
    );
  }

  async execute<T>(req: IdempotentRequest, work: (manager: EntityManager) => Promise<{ status: number; body: T }>): Promise<IdempotentResult<T>> {
    const key = IdempotencyService.requireKey(req.key);
    const hash = createHash('sha256').update(stableStringify(req.fingerprint)).digest('hex');
    return this.ds.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO idempotency_records (actor, scope, key, request_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [req.actor, req.scope, key, hash],
      );
      if (!inserted.length) {
        const [row] = await manager.query(
          `SELECT request_hash, status_code, response FROM idempotency_records WHERE actor = $1 AND scope = $2 AND key = $3`,
          [req.actor, req.scope, key],
        );
        if (row.request_hash !== hash) {
          throw new ProblemException(422, 'idempotency-key-reused', 'This Idempotency-Key was already used with a different request body');
        }
        if (row.status_code === null) {
          throw new ProblemException(409, 'idempotency-key-in-use', 'A request with this Idempotency-Key is still in progress; retry shortly');
        }
        return { status: row.status_code as number, body: row.response as T, replayed: true };
      }
      const result = await work(manager);
      await manager.query(
        `UPDATE idempotency_records SET status_code = $4, response = $5 WHERE actor = $1 AND scope = $2 AND key = $3`,
        [req.actor, req.scope, key, result.status, JSON.stringify(result.body)],
      );
      return { ...result, replayed: false };
    });
  }
}
