"""Check-in at the front desk: ``booking.checked_in_at`` and ``booking.checked_in_by``.

Only the ``booking`` table is touched, with two nullable columns (no default to compute,
nothing to backfill: a booking made before was simply never checked in), so this migration
applies on SQLite and PostgreSQL to a database already holding bookings, before or after any
other of the same day. ``checked_in_by`` is set to null when its user is deleted, like
``decided_by``.

It also adds the index ``booking_hub_status_start`` on (hub, status, starts_at, ends_at,
association, local_start): the approval queue (a hub's pending requests by start), the
header's pending count and the queue's quota sums (an association's hours in a hub's weeks
and months) read it alone, without visiting the table (measured in bench/approval_bench.py:
without it SQLite picked ``booking_hub`` and read every booking of the hub). Plain SQL, the
same on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table


class AppUser(Table, tablename="app_user", schema=None):
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


ID = "2026-11-30T03:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "booking check-in time and who checked in"


def _params(**params):
    return {
        "null": True,
        "default": None,
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
    ("checked_in_at", Timestamptz, _params()),
    (
        "checked_in_by",
        ForeignKey,
        _params(
            references=AppUser,
            on_delete=OnDelete.set_null,
            on_update=OnUpdate.cascade,
            target_column=None,
        ),
    ),
)


INDEX = (
    "CREATE INDEX IF NOT EXISTS booking_hub_status_start ON booking "
    "(hub, status, starts_at, ends_at, association, local_start)"
)


async def _add_index():
    await engine_finder().run_ddl(INDEX)  # type: ignore[union-attr]


async def _drop_index():
    await engine_finder().run_ddl("DROP INDEX IF EXISTS booking_hub_status_start")  # type: ignore[union-attr]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub_booking", description=DESCRIPTION)
    manager.add_raw(_add_index)
    manager.add_raw_backwards(_drop_index)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Booking",
            tablename="booking",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
