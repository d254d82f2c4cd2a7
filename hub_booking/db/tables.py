"""Piccolo tables: columns only, no behaviour (see DESIGN.md)."""

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Region(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    slug = Varchar(length=64, unique=True)
    name_fr = Varchar(length=200, default="")
    name_ar = Varchar(length=200, default="")


class Hub(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    slug = Varchar(length=64, unique=True)
    name_fr = Varchar(length=200, default="")
    name_ar = Varchar(length=200, default="")
    region = ForeignKey(Region, on_delete=OnDelete.restrict, null=False)
    address = Text(default="")
    timezone = Varchar(length=64)
    opening_hours = JSON(default={})
    rules = JSON(default={})
    created_at = Timestamptz()


class Resource(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    hub = ForeignKey(Hub, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=16)
    name_fr = Varchar(length=200, default="")
    name_ar = Varchar(length=200, default="")
    description = Text(default="")
    capacity = Integer(null=True, default=None)
    quantity = Integer(default=1)
    requires_approval = Boolean(default=False)
    active = Boolean(default=True)
    rules = JSON(default={})
    created_at = Timestamptz()


class Association(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    slug = Varchar(length=64, unique=True)
    name_fr = Varchar(length=200, default="")
    name_ar = Varchar(length=200, default="")
    registration_number = Varchar(length=64, default="")
    region = ForeignKey(Region, on_delete=OnDelete.restrict, null=False)
    status = Varchar(length=16, default="active")
    contact_email = Varchar(length=254, default="")
    contact_phone = Varchar(length=32, default="")
    created_at = Timestamptz()


class AppUser(Table, tablename="app_user"):
    id: Serial  # the implicit primary key, declared for type checkers
    email = Varchar(length=254, unique=True)  # stored lower-cased: unique case-insensitively
    name = Varchar(length=200, default="")
    password_hash = Varchar(length=255, null=True, default=None)
    language = Varchar(length=2, default="fr")
    is_active = Boolean(default=True)
    is_platform_admin = Boolean(default=False)
    created_at = Timestamptz()


class Membership(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    association = ForeignKey(Association, on_delete=OnDelete.cascade, null=False, index=True)
    role = Varchar(length=16, default="member")
    # unique (user, association): a unique index in the first migration


class HubManager(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    hub = ForeignKey(Hub, on_delete=OnDelete.cascade, null=False, index=True)
    # unique (user, hub): a unique index in the first migration


class ApiToken(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    label = Varchar(length=100, default="")
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class UserSession(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=255, default="")


class LoginAttempt(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    email = Varchar(length=254, index=True)
    ip = Varchar(length=64, index=True)
    succeeded = Boolean(default=False)
    at = Timestamptz(index=True)


class AuditLog(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    actor = ForeignKey(AppUser, on_delete=OnDelete.set_null, null=True)
    at = Timestamptz(index=True)
    action = Varchar(length=64)
    object_type = Varchar(length=32)
    object_id = Integer(null=True, default=None)
    details = JSON(default={})


TABLES: tuple[type[Table], ...] = (
    Region,
    Hub,
    Resource,
    Association,
    AppUser,
    Membership,
    HubManager,
    ApiToken,
    UserSession,
    LoginAttempt,
    AuditLog,
)
