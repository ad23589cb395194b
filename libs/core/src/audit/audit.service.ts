import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { deleteInBatches } from '../database/delete-in-batches';

export interface AuditEventInput {
  action: string;
  actorKeyId?: string | null;
  subjectType?: string | null;
  subjectId?: string | null;
  requestId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEvent extends Required<Omit<AuditEventInput, 'details'>> {
  id: string;
  occurredAt: string;
  lastAt: string;
  count: number;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  keyId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Opaque cursor from a previous page (the last id seen). */
  before?: string;
  limit?: number;
}

/**
 * The forensic trail. Writes join the caller's transaction when given a manager, so an audited
 * change and its audit row commit together.
 */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async record(e: AuditEventInput, manager?: EntityManager): Promise<void> {
    await (manager ?? this.ds.manager).query(
      `INSERT INTO audit_events (action, actor_key_id, subject_type, subject_id, request_id, ip, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [e.action, e.actorKeyId ?? null, e.subjectType ?? null, e.subjectId ?? null, e.requestId ?? null, e.ip ?? null, e.details ?? {}],
    );
  }

  /**
   * Counts repeats of the same event in one bucket (e.g. auth failures per keyId, address and
   * minute) so a flood adds one row per bucket, not one per request.
   */
  async recordAggregated(bucket: string, e: AuditEventInput, times = 1): Promise<void> {
    await this.ds.query(
      `INSERT INTO audit_events (action, actor_key_id, subject_type, subject_id, request_id, ip, details, bucket, count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (bucket) DO UPDATE SET count = audit_events.count + EXCLUDED.count, last_at = now()`,
      [e.action, e.actorKeyId ?? null, e.subjectType ?? null, e.subjectId ?? null, e.requestId ?? null, e.ip ?? null, e.details ?? {}, bucket, times],
    );
  }

  /**
   * Deletes the events that occurred before `before`, in batches (no statement holds its locks for
   * long next to the inserts): only the given `actions`, or every action but `exceptActions`.
   * Both filters are served by the existing indexes on (action, occurred_at) and (occurred_at).
   */
  purgeBefore(before: Date, filter: { actions?: readonly string[]; exceptActions?: readonly string[] } = {}, batch = 5000): Promise<number> {
    const params: unknown[] = [before, batch];
    let which = '';
    if (filter.actions) {
      params.push(filter.actions);
      which = ` AND action = ANY($${params.length}::text[])`;
    }
    if (filter.exceptActions) {
      params.push(filter.exceptActions);
      which += ` AND action <> ALL($${params.length}::text[])`;
    }
    return deleteInBatches(this.ds, `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE occurred_at < $1${which} LIMIT $2)`, params, batch);
  }

  async list(q: AuditQuery): Promise<{ data: AuditEvent[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.keyId) {
      params.push(q.keyId);
      where.push(`(subject_id = $${params.length} OR actor_key_id = $${params.length})`);
    }
    if (q.action) add('action = ?', q.action);
    if (q.from) add('occurred_at >= ?', q.from);
    if (q.to) add('occurred_at < ?', q.to);
    if (q.before) add('id < ?', q.before);
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT id, occurred_at, last_at, action, actor_key_id, subject_type, subject_id, request_id, ip, details, count
         FROM audit_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY id DESC LIMIT ${limit + 1}`,
      params,
    );
    const page = rows.slice(0, limit).map((r) => ({
      id: String(r.id),
      occurredAt: new Date(r.occurred_at as string).toISOString(),
      lastAt: new Date(r.last_at as string).toISOString(),
      action: r.action as string,
      actorKeyId: (r.actor_key_id as string) ?? null,
      subjectType: (r.subject_type as string) ?? null,
      subjectId: (r.subject_id as string) ?? null,
      requestId: (r.request_id as string) ?? null,
      ip: (r.ip as string) ?? null,
      details: r.details as Record<string, unknown>,
      count: Number(r.count),
    }));
    return { data: page, nextCursor: rows.length > limit ? page[page.length - 1].id : null };
  }
}
