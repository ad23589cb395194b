import { MigrationInterface, QueryRunner } from 'typeorm';

export class Inventory1764500000000 implements MigrationInterface {
  name = 'Inventory1764500000000';

  async up(q: QueryRunner): Promise<void> {
    // available = on_hand - reserved is derived, never stored: one fact, one place.
    await q.query(`
      CREATE TABLE inventory_items (
        sku         text PRIMARY KEY,
        on_hand     integer NOT NULL CHECK (on_hand >= 0),
        reserved    integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT inventory_items_reserved_le_on_hand CHECK (reserved <= on_hand)
      )`);
    await q.query(`
      CREATE TABLE inventory_movements (
        id              bigserial PRIMARY KEY,
        sku             text NOT NULL REFERENCES inventory_items (sku),
        kind            text NOT NULL CHECK (kind IN ('set', 'adjustment', 'reservation', 'commit', 'release', 'sale')),
        on_hand_delta   integer NOT NULL,
        reserved_delta  integer NOT NULL,
        on_hand_after   integer NOT NULL,
        reserved_after  integer NOT NULL,
        reason          text,
        actor_key_id    text,
        order_id        text,
        order_line_id   text,
        channel         text,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX inventory_movements_sku_idx ON inventory_movements (sku, id DESC)`);
    await q.query(`CREATE INDEX inventory_movements_order_idx ON inventory_movements (order_id) WHERE order_id IS NOT NULL`);
    // Reserved stock changes only through these rows, one per order line.
    await q.query(`
      CREATE TABLE inventory_reservations (
        id           bigserial PRIMARY KEY,
        order_id     text NOT NULL,
        line_id      text NOT NULL,
        sku          text NOT NULL REFERENCES inventory_items (sku),
        channel      text NOT NULL,
        quantity     integer NOT NULL CHECK (quantity > 0),
        status       text NOT NULL CHECK (status IN ('active', 'committed', 'released')),
        expires_at   timestamptz,
        reason       text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (order_id, line_id)
      )`);
    await q.query(`CREATE INDEX inventory_reservations_active_idx ON inventory_reservations (expires_at) WHERE status = 'active'`);
    // Transactional outbox: written in the same transaction as the stock change it announces.
    await q.query(`
      CREATE TABLE inventory_outbox (
        id          bigserial PRIMARY KEY,
        sku         text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE inventory_channel_rules (
        channel         text PRIMARY KEY,
        safety_buffer   integer NOT NULL DEFAULT 0 CHECK (safety_buffer >= 0),
        max_quantity    integer CHECK (max_quantity >= 0),
        percentage      integer NOT NULL DEFAULT 100 CHECK (percentage BETWEEN 0 AND 100),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    // Level-triggered sync: a row is dirty while wanted_version > synced_version; whoever pushes
    // reads the current quantity, so any number of changes collapse into the latest value.
    await q.query(`
      CREATE TABLE inventory_channel_sync (
        channel                  text NOT NULL,
        sku                      text NOT NULL REFERENCES inventory_items (sku),
        state                    text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'synced', 'retrying', 'failed', 'paused')),
        wanted_version           bigint NOT NULL DEFAULT 1,
        synced_version           bigint NOT NULL DEFAULT 0,
        last_pushed_quantity     integer,
        last_confirmed_quantity  integer,
        last_error               text,
        last_synced_at           timestamptz,
        dirty_since              timestamptz DEFAULT now(),
        push_count               bigint NOT NULL DEFAULT 0,
        updated_at               timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel, sku)
      )`);
    await q.query(`CREATE INDEX inventory_channel_sync_sku_idx ON inventory_channel_sync (sku)`);
    await q.query(`CREATE INDEX inventory_channel_sync_dirty_idx ON inventory_channel_sync (channel) WHERE wanted_version > synced_version`);
    // Pause state lives in Postgres: the vault pauses/resumes from the api process, the worker obeys.
    await q.query(`
      CREATE TABLE inventory_channel_pauses (
        channel     text PRIMARY KEY,
        reason      text NOT NULL,
        since       timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['inventory_channel_pauses', 'inventory_channel_sync', 'inventory_channel_rules', 'inventory_outbox', 'inventory_reservations', 'inventory_movements', 'inventory_items']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
