import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops the foreign keys from the ledger and reservations to inventory_items. Every reservation
 * runs their checks while it holds the hot stock row (they fire at the end of the statement that
 * updated it), and bench:sync measured them at about a quarter of a hot SKU's reservations/s.
 * What they guarded still holds: rows are only written after the guarded UPDATE found the SKU (or
 * rolled back with it), and stock rows can no longer be deleted at all, so nothing can be orphaned.
 */
export class InventoryHotPath1764500100000 implements MigrationInterface {
  name = 'InventoryHotPath1764500100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inventory_movements DROP CONSTRAINT inventory_movements_sku_fkey`);
    await q.query(`ALTER TABLE inventory_reservations DROP CONSTRAINT inventory_reservations_sku_fkey`);
    await q.query(`
      CREATE FUNCTION inventory_items_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'stock rows are never deleted (%): the ledger and reservations refer to them',
          CASE WHEN TG_OP = 'DELETE' THEN 'sku ' || OLD.sku ELSE 'TRUNCATE' END
          USING ERRCODE = 'restrict_violation';
      END $$`);
    await q.query(`CREATE TRIGGER inventory_items_never_deleted BEFORE DELETE ON inventory_items FOR EACH ROW EXECUTE FUNCTION inventory_items_never_deleted()`);
    await q.query(`CREATE TRIGGER inventory_items_never_truncated BEFORE TRUNCATE ON inventory_items FOR EACH STATEMENT EXECUTE FUNCTION inventory_items_never_deleted()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER inventory_items_never_truncated ON inventory_items`);
    await q.query(`DROP TRIGGER inventory_items_never_deleted ON inventory_items`);
    await q.query(`DROP FUNCTION inventory_items_never_deleted()`);
    await q.query(`ALTER TABLE inventory_reservations ADD CONSTRAINT inventory_reservations_sku_fkey FOREIGN KEY (sku) REFERENCES inventory_items (sku)`);
    await q.query(`ALTER TABLE inventory_movements ADD CONSTRAINT inventory_movements_sku_fkey FOREIGN KEY (sku) REFERENCES inventory_items (sku)`);
  }
}
