"""Importing associations from a CSV file (platform admin): upload, preview with every
row's problems and line number (nothing written), then confirm to import all rows at once.

The file is kept between the two steps as a signed field of the preview page
(``services.association_import``): nothing to clean up, and only the previewed bytes can be
confirmed.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from hub_booking.domain.association_import import COLUMNS, MAX_BYTES, MAX_ROWS, FileRefused
from hub_booking.domain.errors import N_, Conflict, DomainError
from hub_booking.i18n import translate, translations
from hub_booking.services import association_import
from hub_booking.services.association_import import MAX_TOKEN, Imported, Preview
from hub_booking.web import flash
from hub_booking.web.auth import principal_of
from hub_booking.web.forms import FormData
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.pages.admin import GUARDS, field_errors, form_values

# A file just over the cap still reaches the handler and is refused beside its field; a
# much larger request is refused before it is read (the 413 page).
UPLOAD_LIMIT = 2 * MAX_BYTES
CONFIRM_LIMIT = MAX_TOKEN + 100_000
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
CHOOSE_A_FILE = N_("Choose a CSV file.")


@get("/admin/import", guards=GUARDS, include_in_schema=False)
async def import_form(request: Request) -> Template:
    return _upload_page(request, [])


@post(
    "/admin/import",
    guards=GUARDS,
    include_in_schema=False,
    request_max_body_size=UPLOAD_LIMIT,
)
async def import_preview(request: Request, data: Upload) -> Template:
    """Step 1: every row read and checked; nothing is written."""
    upload = data.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise FileRefused(CHOOSE_A_FILE)
        content = await upload.read(MAX_BYTES + 1)
        found = await association_import.preview(
            principal_of(request),
            content,
            request.app.state.clock(),
            request.app.state.settings.secret_key,
        )
    except FileRefused as exc:
        return _upload_page(request, field_errors(language_of(request), exc), status_code=422)
    return _preview_page(request, found, upload.filename[:200])


@post(
    "/admin/import/confirm",
    guards=GUARDS,
    include_in_schema=False,
    request_max_body_size=CONFIRM_LIMIT,
)
async def import_confirm(request: Request, data: FormData) -> Template | Redirect:
    """Step 2: all rows in one transaction, or none."""
    token = form_values(data, ("token",), MAX_TOKEN + 1)["token"]
    language = language_of(request)
    try:
        done = await association_import.confirm(
            principal_of(request),
            token,
            request.app.state.clock(),
            request.app.state.settings.secret_key,
        )
    except (FileRefused, Conflict) as exc:
        return _upload_page(request, _file_errors(language, exc), status_code=exc.status_code)
    if isinstance(done, Preview):  # the database changed since the preview
        name = form_values(data, ("filename",), 200)["filename"]
        return _preview_page(request, done, name, status_code=409)
    return flash.redirect(request, "/admin/associations", _imported(language, done))


def _upload_page(request: Request, errors: list[dict[str, Any]], *, status_code: int = 200):
    return render(
        request,
        "pages/admin_import.html",
        errors=errors,
        columns=COLUMNS,
        max_rows=MAX_ROWS,
        status_code=status_code,
    )


def _preview_page(
    request: Request, found: Preview, filename: str, *, status_code: int | None = None
) -> Template:
    language = language_of(request)
    rows = [
        {
            "line": row.line,
            "values": row.values,
            "problems": [
                {"field": p.field, "message": translate(language, p.message, **p.params)}
                for p in row.problems
            ],
        }
        for row in found.file.rows
    ]
    return render(
        request,
        "pages/admin_import_preview.html",
        rows=rows,
        bad=found.file.problems,
        existing=found.existing_accounts,
        token=found.token,
        filename=filename,
        columns=COLUMNS,
        status_code=status_code or (200 if found.token else 422),
    )


def _file_errors(language: str, exc: DomainError) -> list[dict[str, Any]]:
    errors = field_errors(language, exc)
    return [{**error, "field": "file"} for error in errors]


def _imported(language: str, done: Imported) -> str:
    text = translations(language).ngettext(
        "%(num)d association was imported.",
        "%(num)d associations were imported.",
        done.associations,
    ) % {"num": done.associations}
    accounts = translations(language).ngettext(
        "%(num)d new account was made for their representatives.",
        "%(num)d new accounts were made for their representatives.",
        done.accounts_created,
    ) % {"num": done.accounts_created}
    return f"{text} {accounts}"


HANDLERS = [import_form, import_preview, import_confirm]
