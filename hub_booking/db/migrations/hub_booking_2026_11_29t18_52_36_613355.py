"""The database refuses overlapping holds of a single-unit resource, and finds holds fast.

PostgreSQL: an exclusion constraint (btree_gist) on holding rows of exclusive resources, so
two transactions that both passed the application's check cannot both commit (SQLSTATE
23P01). Equipment pools cannot be counted by a constraint: their writes are serialised by a
row lock on the resource. SQLite serialises every booking write (BEGIN IMMEDIATE) instead.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T18:52:36:613355"
VERSION = "1.38.0"
DESCRIPTION = "no overlapping holds"

INDEX = (
    "CREATE INDEX IF NOT EXISTS booking_item_resource_holds "
    "ON booking_item (resource, hold_start, hold_end) WHERE holding"
)
POSTGRES = (
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE booking_item ADD CONSTRAINT booking_item_no_overlap EXCLUDE USING gist "
    "(resource WITH =, tstzrange(hold_start, hold_end, '[)') WITH &&) WHERE (holding AND exclusive)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub_booking", description=DESCRIPTION)

    async def create():
        db = engine_finder()
        await db.run_ddl(INDEX)  # type: ignore[union-attr]
        if db.engine_type == "postgres":  # type: ignore[union-attr]
            for sql in POSTGRES:
                await db.run_ddl(sql)  # type: ignore[union-attr]

    async def drop():
        db = engine_finder()
        if db.engine_type == "postgres":  # type: ignore[union-attr]
            await db.run_ddl("ALTER TABLE booking_item DROP CONSTRAINT IF EXISTS booking_item_no_overlap")  # type: ignore[union-attr]
        await db.run_ddl("DROP INDEX IF EXISTS booking_item_resource_holds")  # type: ignore[union-attr]

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
