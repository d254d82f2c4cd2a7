"""Notifications for people: ``notification.read_at`` (in-app), notification preferences and
the waitlist.

``read_at`` is added nullable; the rows already stored predate the in-app page, so they are
marked read (``read_at = created_at``) rather than greeting everyone with a pile of old
news. A partial index on the unread rows of a user keeps the header's counter one small
index range scan however many read rows accumulate.

``notification_preference`` (one row per user who chose something) and ``waitlist_entry``
are new tables; nothing else is touched, so this migration applies on SQLite and on
PostgreSQL to a database already holding data, before or after any other of the same day.
The index and the backfill need the new column, so they run after Piccolo has added it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table


def _table(name: str, tablename: str) -> type[Table]:
    """A stand-in for a referenced table: only its primary key matters here."""
    id_column = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )
    return type(name, (Table,), {"id": id_column}, tablename=tablename, schema=None)


AppUser = _table("AppUser", "app_user")
Association = _table("Association", "association")
Hub = _table("Hub", "hub")
Booking = _table("Booking", "booking")

ID = "2026-11-30T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "in-app notifications, notification preferences, waitlist"

UNREAD_INDEX = (
    'CREATE INDEX IF NOT EXISTS notification_unread ON notification ("user", send_after) '
    "WHERE read_at IS NULL"
)
WAITLIST_INDEX = (
    "CREATE INDEX IF NOT EXISTS waitlist_entry_waiting ON waitlist_entry (hub, starts_at) "
    "WHERE status IN ('waiting', 'offered')"
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


def _fk(table: type[Table], on_delete: OnDelete, **params):
    return _params(
        references=table,
        on_delete=on_delete,
        on_update=OnUpdate.cascade,
        target_column=None,
        **params,
    )


NOTIFICATION = (("read_at", Timestamptz, _params(default=None, null=True)),)
PREFERENCE = (
    ("user", ForeignKey, _fk(AppUser, OnDelete.cascade, unique=True)),
    ("reminder_minutes", JSON, _params(default="[1440, 60]")),
    ("mail_off", JSON, _params(default="[]")),
    ("association_reminders", Boolean, _params(default=False)),
    ("updated_at", Timestamptz, _params(default=None, null=True)),
)
WAITLIST = (
    ("association", ForeignKey, _fk(Association, OnDelete.cascade, index=True)),
    ("user", ForeignKey, _fk(AppUser, OnDelete.set_null, null=True, default=None)),
    ("hub", ForeignKey, _fk(Hub, OnDelete.cascade, index=True)),
    ("title", Varchar, _params(length=200, default="")),
    ("attendees", Integer, _params(default=1)),
    ("items", JSON, _params(default="{}")),
    ("starts_at", Timestamptz, _params(default=None, null=True, index=True)),
    ("ends_at", Timestamptz, _params(default=None, null=True)),
    ("status", Varchar, _params(length=16, default="waiting", index=True)),
    ("offer", ForeignKey, _fk(Booking, OnDelete.set_null, null=True, default=None)),
    ("hold_until", Timestamptz, _params(default=None, null=True)),
    ("booking", ForeignKey, _fk(Booking, OnDelete.set_null, null=True, default=None)),
    ("created_at", Timestamptz, _params(default=None, null=True)),
    ("updated_at", Timestamptz, _params(default=None, null=True)),
)


class _AfterColumns(MigrationManager):
    """Piccolo runs raw steps before adding columns; these need the columns."""

    async def _run_add_columns(self, backwards: bool = False):
        db = engine_finder()
        if backwards:
            await db.run_ddl("DROP INDEX IF EXISTS notification_unread")  # type: ignore[union-attr]
        await super()._run_add_columns(backwards=backwards)
        if not backwards:
            await db.run_ddl(  # type: ignore[union-attr]
                "UPDATE notification SET read_at = created_at WHERE read_at IS NULL"
            )
            await db.run_ddl(UNREAD_INDEX)  # type: ignore[union-attr]
            await db.run_ddl(WAITLIST_INDEX)  # type: ignore[union-attr]


async def forwards():
    manager = _AfterColumns(migration_id=ID, app_name="hub_booking", description=DESCRIPTION)
    manager.add_table(
        class_name="NotificationPreference",
        tablename="notification_preference",
        schema=None,
        columns=None,
    )
    manager.add_table(
        class_name="WaitlistEntry", tablename="waitlist_entry", schema=None, columns=None
    )
    for class_name, tablename, columns in (
        ("Notification", "notification", NOTIFICATION),
        ("NotificationPreference", "notification_preference", PREFERENCE),
        ("WaitlistEntry", "waitlist_entry", WAITLIST),
    ):
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
