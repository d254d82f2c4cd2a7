"""Unique (user, association) and (user, hub) pairs.

Piccolo adds composite constraints with ALTER TABLE ADD CONSTRAINT, which SQLite lacks; a
unique index gives the same guarantee on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T18:30:28:956809"
VERSION = "1.38.0"
DESCRIPTION = "unique pairs"

INDEXES = {
    "membership_user_association_key": 'membership ("user", association)',
    "hub_manager_user_hub_key": 'hub_manager ("user", hub)',
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub_booking", description=DESCRIPTION)

    async def create():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(  # type: ignore[union-attr]
                f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop():
        for name in INDEXES:
            await engine_finder().run_ddl(  # type: ignore[union-attr]
                f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
