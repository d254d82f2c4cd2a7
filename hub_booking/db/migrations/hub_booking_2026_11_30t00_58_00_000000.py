"""The outbox learns to retry, to wait and to follow bookings: columns of ``notification``.

Only the ``notification`` table is touched, so this migration applies before or after any
other of the same day. ``send_after`` is added nullable (SQLite cannot add a column whose
default is the current time) and filled from ``created_at`` for the rows already queued;
``outbox.enqueue`` always sets it. A partial index keeps the dispatcher's "what is due"
query small however many sent rows accumulate. The index and the backfill need the new
columns, so they run after Piccolo has added them (``_AfterColumns``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table


class Booking(Table, tablename="booking", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-11-30T00:58:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification retries, due times and bookings"

DUE_INDEX = (
    "CREATE INDEX IF NOT EXISTS notification_due ON notification (send_after) "
    "WHERE sent_at IS NULL AND failed_at IS NULL"
)


def _params(**params):
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **params,
    }


COLUMNS = (
    ("send_after", Timestamptz, _params(default=None, null=True)),
    ("claimed_by", Varchar, _params(length=32, default=None, null=True)),
    ("attempts", Integer, _params(default=0)),
    ("last_error", Text, _params(default="")),
    ("failed_at", Timestamptz, _params(default=None, null=True)),
    (
        "booking",
        ForeignKey,
        _params(
            references=Booking,
            on_delete=OnDelete.cascade,
            on_update=OnUpdate.cascade,
            target_column=None,
            default=None,
            null=True,
            index=True,
        ),
    ),
)


class _AfterColumns(MigrationManager):
    """Piccolo runs raw steps before adding columns; these need the columns."""

    async def _run_add_columns(self, backwards: bool = False):
        if backwards:
            await engine_finder().run_ddl("DROP INDEX IF EXISTS notification_due")  # type: ignore[union-attr]
        await super()._run_add_columns(backwards=backwards)
        if not backwards:
            db = engine_finder()
            await db.run_ddl(  # type: ignore[union-attr]
                "UPDATE notification SET send_after = created_at WHERE send_after IS NULL"
            )
            await db.run_ddl(DUE_INDEX)  # type: ignore[union-attr]


async def forwards():
    manager = _AfterColumns(migration_id=ID, app_name="hub_booking", description=DESCRIPTION)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Notification",
            tablename="notification",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
