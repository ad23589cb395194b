import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

const FLAG = 'inventoryOutboxWritten';

/**
 * Wakes this process's outbox relay right after a transaction that wrote outbox rows commits
 * (never before: the relay must not look for rows that are not visible yet). Replaces Postgres
 * NOTIFY, whose commit-time lock serialises every notifying transaction in the database; other
 * processes' rows are found by the relay's poll.
 */
@Injectable()
export class OutboxSignal implements OnModuleInit, EntitySubscriberInterface {
  private listeners: (() => void)[] = [];

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  onModuleInit(): void {
    if (!this.ds.subscribers.includes(this)) this.ds.subscribers.push(this);
  }

  onCommitted(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Call after writing outbox rows with `m`. */
  written(m: EntityManager): void {
    const qr = m.queryRunner;
    if (qr?.isTransactionActive) qr.data[FLAG] = true;
    else this.fire();
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const qr = event.queryRunner;
    // Also called when a savepoint is released; only the outermost commit makes rows visible.
    if (qr.isTransactionActive || !qr.data?.[FLAG]) return;
    delete qr.data[FLAG];
    this.fire();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive && event.queryRunner.data) delete event.queryRunner.data[FLAG];
  }

  private fire(): void {
    for (const l of this.listeners) l();
  }
}
