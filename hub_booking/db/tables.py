"""Piccolo tables: columns only, no behaviour (see DESIGN.md)."""

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamp,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from hub_booking.domain.model import (
    AssociationStatus,
    BookingStatus,
    FeedScope,
    MemberRole,
    ResourceKind,
)


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
    # Whether hub and resource calendar feeds show titles and associations to everyone.
    feed_titles_public = Boolean(default=False)


class Resource(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    hub = ForeignKey(Hub, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=16, choices=ResourceKind)
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
    status = Varchar(length=16, default="active", choices=AssociationStatus)
    contact_email = Varchar(length=254, default="")
    contact_phone = Varchar(length=32, default="")
    created_at = Timestamptz()


class AppUser(Table, tablename="app_user"):
    id: Serial  # the implicit primary key, declared for type checkers
    email = Varchar(length=254, unique=True)  # stored lower-cased: unique case-insensitively
    name = Varchar(length=200, default="")
    password_hash = Varchar(length=255, null=True, default=None)
    # "" until the user picks a language: pages follow the browser's Accept-Language till then.
    language = Varchar(length=2, default="")
    is_active = Boolean(default=True)
    is_platform_admin = Boolean(default=False)
    created_at = Timestamptz()


class Membership(Table):
    id: Serial  # the implicit primary key, declared for type checkers
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    association = ForeignKey(Association, on_delete=OnDelete.cascade, null=False, index=True)
    role = Varchar(length=16, default="member", choices=MemberRole)
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


class Series(Table):
    """A recurring booking: the rule and the wall-clock time it was asked for."""

    id: Serial
    hub = ForeignKey(Hub, on_delete=OnDelete.restrict, null=False)
    association = ForeignKey(Association, on_delete=OnDelete.restrict, null=False)
    rrule = Varchar(length=255)
    timezone = Varchar(length=64)
    first_local_start = Timestamp()
    duration_minutes = Integer()
    on_conflict = Varchar(length=8, default="fail")
    created_at = Timestamptz()


class Booking(Table):
    """One booking (or one occurrence of a series). The wall-clock times in the hub's zone are
    the promise; ``starts_at``/``ends_at`` are the UTC instants derived from them."""

    id: Serial
    uid = Varchar(length=64, unique=True)
    association = ForeignKey(Association, on_delete=OnDelete.restrict, null=False, index=True)
    requested_by = ForeignKey(AppUser, on_delete=OnDelete.set_null, null=True)
    hub = ForeignKey(Hub, on_delete=OnDelete.restrict, null=False, index=True)
    series = ForeignKey(Series, on_delete=OnDelete.restrict, null=True, index=True)
    title = Varchar(length=200)
    purpose = Text(default="")
    attendees = Integer(default=1)
    local_start = Timestamp()
    local_end = Timestamp()
    timezone = Varchar(length=64)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    status = Varchar(length=16, index=True, choices=BookingStatus)
    override = Boolean(default=False)
    decided_by = ForeignKey(AppUser, on_delete=OnDelete.set_null, null=True)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")
    revision = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Front-desk check-in (the manager's "Today" page): when, and by whom.
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_by = ForeignKey(AppUser, on_delete=OnDelete.set_null, null=True)


class BookingItem(Table):
    """Units of one resource held by a booking over ``[hold_start, hold_end)`` (buffers in).

    ``holding`` mirrors the booking's status (pending or approved) so that PostgreSQL's
    exclusion constraint on exclusive (single-unit) resources can see it.
    """

    id: Serial
    booking = ForeignKey(Booking, on_delete=OnDelete.cascade, null=False, index=True)
    resource = ForeignKey(Resource, on_delete=OnDelete.restrict, null=False, index=True)
    quantity = Integer(default=1)
    hold_start = Timestamptz(index=True)
    hold_end = Timestamptz()
    holding = Boolean(default=True)
    exclusive = Boolean(default=False)


class Blackout(Table):
    """A closure of a hub, or of one resource (Eid, maintenance), in the hub's wall clock."""

    id: Serial
    hub = ForeignKey(Hub, on_delete=OnDelete.cascade, null=False, index=True)
    resource = ForeignKey(Resource, on_delete=OnDelete.cascade, null=True)
    local_start = Timestamp()
    local_end = Timestamp()
    timezone = Varchar(length=64)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    reason = Varchar(length=200, default="")
    created_by = ForeignKey(AppUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()


class Notification(Table):
    """Outbox: a message to a user, sent by the worker; the key makes enqueueing idempotent.

    A row is due once ``send_after`` has passed (set to now when enqueued, unless later);
    a worker claims it (``claimed_at``, ``claimed_by``) for a lease, sends it and sets
    ``sent_at``. A failed send counts an attempt, keeps the error and pushes ``send_after``
    back; after the last attempt ``failed_at`` is set. ``booking`` ties reminders (and
    booking news) to their booking, so they can follow or be withdrawn with it."""

    id: Serial
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    kind = Varchar(length=32)
    payload = JSON(default={})
    idempotency_key = Varchar(length=200, unique=True)
    created_at = Timestamptz()
    claimed_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    send_after = Timestamptz(null=True, default=None)  # filled by outbox.enqueue (now)
    claimed_by = Varchar(length=32, null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text(default="")
    failed_at = Timestamptz(null=True, default=None)
    booking = ForeignKey(Booking, on_delete=OnDelete.cascade, null=True, index=True)
    # In-app: the same row is the reader's notification; read (or not) on /notifications.
    read_at = Timestamptz(null=True, default=None)


class AppState(Table):
    """Small facts about this installation (e.g. the zone data version bookings were timed with)."""

    id: Serial
    key = Varchar(length=64, unique=True)
    value = Text(default="")


class FeedToken(Table):
    """A calendar feed's secret URL, kept only as a keyed hash, and what it shows.

    ``scope_id`` is the resource, hub or association (None for ``me``); ``language``, when
    set, fixes the feed's language, otherwise it follows its owner's."""

    id: Serial
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    scope = Varchar(length=16, choices=FeedScope)
    scope_id = Integer(null=True, default=None)
    token_hash = Varchar(length=64, unique=True)
    label = Varchar(length=100, default="")
    language = Varchar(length=2, null=True, default=None)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class IdempotencyKey(Table):
    """A one-time key of a booking request (a form's token, an API ``Idempotency-Key``): the
    first request with it books, the same request again gets the same answer.

    ``key`` is a digest of the user and their key, so keys of different users never meet;
    ``fingerprint`` a digest of the request, to refuse the key for another request."""

    id: Serial
    key = Varchar(length=64, unique=True)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    fingerprint = Varchar(length=64)
    booking = ForeignKey(Booking, on_delete=OnDelete.cascade, null=True, default=None)
    answer = JSON(default={})
    created_at = Timestamptz()


class Invitation(Table):
    """A one-time link (an invitation, a password reset, or an invitation to join an
    association) kept only as a keyed hash of its token; what it grants is applied when it
    is used. ``purpose`` is ``invite``, ``reset`` or ``join``."""

    id: Serial
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    purpose = Varchar(length=16, default="invite")
    association = ForeignKey(Association, on_delete=OnDelete.cascade, null=True, default=None)
    role = Varchar(length=16, default="")
    hub = ForeignKey(Hub, on_delete=OnDelete.cascade, null=True, default=None)
    created_by = ForeignKey(AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(index=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class NotificationPreference(Table, tablename="notification_preference"):
    """What a user wants to be told: reminder times (minutes before the start; empty: none),
    the groups of mail turned off, and whether to be reminded of all their associations'
    bookings. No row: the defaults."""

    id: Serial
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, null=False, unique=True)
    reminder_minutes = JSON(default=[1440, 60])
    mail_off = JSON(default=[])
    association_reminders = Boolean(default=False)
    updated_at = Timestamptz()


class WaitlistEntry(Table, tablename="waitlist_entry"):
    """An association waiting for a held slot (resources and time). When it frees, the
    first waiting entry that fits gets ``offer``: a booking row in the ``offered`` state that
    holds the slot until ``hold_until``; confirming books it (``booking``).
    ``status``: waiting, offered, booked, lapsed, left or gone."""

    id: Serial
    association = ForeignKey(Association, on_delete=OnDelete.cascade, null=False, index=True)
    user = ForeignKey(AppUser, on_delete=OnDelete.set_null, null=True)
    hub = ForeignKey(Hub, on_delete=OnDelete.cascade, null=False, index=True)
    title = Varchar(length=200)
    attendees = Integer(default=1)
    items = JSON(default={})  # {"resource id": units}
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    status = Varchar(length=16, default="waiting", index=True)
    offer = ForeignKey(Booking, on_delete=OnDelete.set_null, null=True, default=None)
    hold_until = Timestamptz(null=True, default=None)
    booking = ForeignKey(Booking, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


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
    Series,
    Booking,
    BookingItem,
    Blackout,
    Notification,
    AppState,
    FeedToken,
    IdempotencyKey,
    Invitation,
    NotificationPreference,
    WaitlistEntry,
)
