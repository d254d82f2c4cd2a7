"""One-time links to set a password (invitations, password resets) or to join an association.

Independent of every other migration of the day: it only adds its own table, ``invitation``.
Only a keyed hash of each token is stored (``token_hash``, unique).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


def _ident() -> Serial:
    return Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


class AppUser(Table, tablename="app_user", schema=None):
    id = _ident()


class Association(Table, tablename="association", schema=None):
    id = _ident()


class Hub(Table, tablename="hub", schema=None):
    id = _ident()


ID = "2026-11-30T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invitations and password resets"


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


def _key(table, on_delete, **params):
    return _params(
        references=table,
        on_delete=on_delete,
        on_update=OnUpdate.cascade,
        target_column=None,
        **params,
    )


COLUMNS = (
    ("user", ForeignKey, _key(AppUser, OnDelete.cascade, index=True)),
    ("token_hash", Varchar, _params(length=64, default="", unique=True)),
    ("purpose", Varchar, _params(length=16, default="invite")),
    ("association", ForeignKey, _key(Association, OnDelete.cascade, default=None, null=True)),
    ("role", Varchar, _params(length=16, default="")),
    ("hub", ForeignKey, _key(Hub, OnDelete.cascade, default=None, null=True)),
    ("created_by", ForeignKey, _key(AppUser, OnDelete.set_null, default=None, null=True)),
    ("created_at", Timestamptz, _params(default=TimestamptzNow(), index=True)),
    ("expires_at", Timestamptz, _params(default=TimestamptzNow())),
    ("used_at", Timestamptz, _params(default=None, null=True)),
    ("revoked_at", Timestamptz, _params(default=None, null=True)),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub_booking", description=DESCRIPTION)
    manager.add_table(class_name="Invitation", tablename="invitation", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Invitation",
            tablename="invitation",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
