"""Importing associations and their representatives from a CSV file: a preview, then all
rows in one transaction or none.

Between the preview and the confirmation the file travels in the page itself, compressed
and signed (HMAC with the secret key, bound to the admin and to the time of the preview, for
an hour): the server needs no table of pending uploads nor a job to clean it, several
workers agree without sharing memory, and the admin cannot confirm anything but the very
bytes that were previewed. The confirmation reads and checks the file again inside its
transaction, since the database may have changed in between.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from dataclasses import dataclass
from datetime import datetime

from hub_booking.db import accounts, associations, catalogue
from hub_booking.db.associations import NewAssociation
from hub_booking.db.engine import transaction
from hub_booking.domain.association_import import (
    MAX_BYTES,
    FileRefused,
    ImportFile,
    decode,
    read,
    representative_email,
    with_problems,
)
from hub_booking.domain.catalogue import normalise_email
from hub_booking.domain.errors import N_, Conflict, Forbidden, Violation
from hub_booking.domain.model import AssociationStatus, MemberRole, Principal
from hub_booking.services import audit
from hub_booking.services.admin_catalogue import UNKNOWN_REGION

TOKEN_LIFETIME_S = 3600
MAX_TOKEN = MAX_BYTES * 2  # a compressed file never grows beyond this once in base64
EXPIRED = N_("This preview has expired or was changed. Upload the file again.")


@dataclass(frozen=True)
class Preview:
    """The file as it would be imported; ``token`` (only when every row is valid) confirms."""

    file: ImportFile
    existing_accounts: frozenset[str]  # representative emails that already have an account
    token: str | None


@dataclass(frozen=True)
class Imported:
    associations: int
    accounts_created: int
    representatives: int


async def preview(principal: Principal, data: bytes, now: datetime, secret: str) -> Preview:
    """Read and check every row of the file (nothing is written); ``FileRefused`` when the
    file as a whole cannot be read."""
    _admin_only(principal)
    text = decode(data)
    file = await _checked(read(text))
    existing = await accounts.existing_emails(_emails(file))
    token = _sign(text, principal.user_id, now, secret) if file.valid else None
    return Preview(file, frozenset(existing), token)


async def confirm(
    principal: Principal, token: str, now: datetime, secret: str
) -> Imported | Preview:
    """Import every row of the previewed file, or nothing: a ``Preview`` with the problems
    when the database changed since (a slug taken meanwhile, a region gone)."""
    _admin_only(principal)
    file = read(_verified(token, principal.user_id, now, secret))
    async with transaction():
        file = await _checked(file)
        emails = _emails(file)
        existing = await accounts.existing_emails(emails)
        if not file.valid:
            return Preview(file, frozenset(existing), None)
        count = await _write(principal, file, now)
    return Imported(len(file.rows), len(set(emails) - existing), count)


async def _checked(file: ImportFile) -> ImportFile:
    """The file with what the database says added: slugs and registration numbers taken,
    regions that do not exist (regions are never created by an import: a typo would make
    one)."""
    rows = file.rows
    slugs = sorted({r.values.get("slug", "") for r in rows} - {""})
    numbers = sorted({r.values.get("registration_number", "") for r in rows} - {""})
    taken_slugs, taken_numbers = await associations.taken(slugs, numbers)
    regions = await catalogue.existing_region_ids(sorted({r.values["region"] for r in rows}))
    found: dict[int, list[Violation]] = {}
    for row in rows:
        problems = found.setdefault(row.line, [])
        if row.values.get("slug") in taken_slugs:
            problems.append(
                Violation("taken", N_("An association with this slug already exists."), "slug")
            )
        if row.values.get("registration_number") in taken_numbers:
            problems.append(
                Violation(
                    "taken",
                    N_("An association with this registration number already exists."),
                    "registration_number",
                )
            )
        if row.values["region"] and row.values["region"] not in regions:
            problems.append(Violation("unknown_region", UNKNOWN_REGION, "region"))
    return with_problems(file, {line: p for line, p in found.items() if p})


async def _write(principal: Principal, file: ImportFile, now: datetime) -> int:
    """Insert the associations, the representatives' accounts and their memberships, and
    audit each; the number of representatives attached. Called inside the transaction."""
    regions = await catalogue.existing_region_ids(sorted({r.values["region"] for r in file.rows}))
    new = [
        NewAssociation(
            slug=row.values["slug"],
            name_fr=row.values.get("name_fr", ""),
            name_ar=row.values.get("name_ar", ""),
            region_id=regions[row.values["region"]],
            status=AssociationStatus.ACTIVE,
            registration_number=row.values.get("registration_number", ""),
            contact_email=normalise_email(row.values.get("contact_email", "")),
            contact_phone=row.values.get("contact_phone", ""),
        )
        for row in file.rows
    ]
    ids = await associations.insert_associations(new, now)
    if len(ids) != len(new):  # taken by someone else since the check: undo it all
        raise Conflict(
            N_("Another association took one of these slugs meanwhile; nothing was imported.")
        )
    names: dict[str, str] = {}
    for row in file.rows:
        if email := representative_email(row):
            names[email] = names.get(email) or row.values.get("representative_name", "")
    people = await accounts.ensure_people(names, now)
    pairs = [
        (ids[row.values["slug"]], people[email])
        for row in file.rows
        if (email := representative_email(row))
    ]
    await associations.add_members_in_bulk(pairs, MemberRole.REPRESENTATIVE)
    # One audit row per association, naming its representative (the membership it got).
    for row in file.rows:
        email = representative_email(row)
        await audit.record(
            principal.user_id, "association.created", "association", ids[row.values["slug"]],
            now, slug=row.values["slug"], source="import",
            **({"representative": email} if email else {}),
        )  # fmt: skip
    return len(pairs)


def _emails(file: ImportFile) -> list[str]:
    return sorted({email for row in file.rows if (email := representative_email(row))})


def _admin_only(principal: Principal) -> None:
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can register associations."))


# The file between preview and confirmation


def _sign(text: str, user_id: int, now: datetime, secret: str) -> str:
    body = base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode()
    issued = str(int(now.timestamp()))
    return f"{issued}.{body}.{_mac(secret, user_id, issued, body)}"


def _verified(token: str, user_id: int, now: datetime, secret: str) -> str:
    """The text of a file this admin previewed within the hour; ``FileRefused`` otherwise."""
    issued, _, rest = token[:MAX_TOKEN].partition(".")
    body, _, mac = rest.rpartition(".")
    if not (
        issued.isdigit() and body and hmac.compare_digest(mac, _mac(secret, user_id, issued, body))
    ):
        raise FileRefused(EXPIRED)
    if not 0 <= now.timestamp() - int(issued) <= TOKEN_LIFETIME_S:
        raise FileRefused(EXPIRED)
    try:
        return zlib.decompress(base64.urlsafe_b64decode(body)).decode()
    except (binascii.Error, zlib.error, UnicodeDecodeError) as exc:  # signed: cannot happen
        raise FileRefused(EXPIRED) from exc


def _mac(secret: str, user_id: int, issued: str, body: str) -> str:
    key = hashlib.sha256(b"hub-booking association import " + secret.encode()).digest()
    message = f"{user_id}.{issued}.{body}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
