"""An account remembers a language only once its user chooses one.

``app_user.language`` defaults to '' (no choice yet) instead of 'fr': until the user picks a
language in the switcher, pages follow the browser's Accept-Language. Accounts created
before keep what they hold.

PostgreSQL changes the column's default. SQLite cannot alter a column and needs no change:
every insert names the column, with the table's Python default. The change is still recorded
as an ``alter_column`` so that Piccolo's view of the schema matches ``tables.py``.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine import engine_finder

ID = "2026-11-30T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "language chosen by the user only"


class _Manager(MigrationManager):
    async def _run_alter_columns(self, backwards: bool = False):
        if engine_finder().engine_type == "sqlite":  # type: ignore[union-attr]
            return  # SQLite has no ALTER COLUMN; see the module's docstring
        await super()._run_alter_columns(backwards=backwards)


async def forwards():
    manager = _Manager(migration_id=ID, app_name="hub_booking", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="AppUser",
        tablename="app_user",
        column_name="language",
        db_column_name="language",
        params={"default": ""},
        old_params={"default": "fr"},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
