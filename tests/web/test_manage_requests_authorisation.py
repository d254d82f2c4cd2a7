"""Who may open the approval queue, today's desk and the history of a hub, and act there: every
route × every role of the fixed cast. A hub one does not manage answers 404, like a hub that
does not exist; nothing changes for a refused request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub_booking.db.tables import Booking
from tests.conftest import NOW
from tests.factories import ROLES, make_booking
from tests.web.sessions import HTML, csrf_of

BASE = "/manage/hubs/fes"
TEN = datetime(2027, 1, 11, 10, tzinfo=UTC)
ALLOWED = {"manager", "admin"}
PAGES = [f"{BASE}/requests", f"{BASE}/today", f"{BASE}/today?print=1", f"{BASE}/audit"]
# (path with {id}, form, the status that shows it was done)
ACTIONS = [
    ("/requests/{id}/approve", {}, "approved"),
    ("/requests/{id}/reject", {"reason": "Complet"}, "rejected"),
    ("/requests/approve", {"ids": "{id}"}, "approved"),
]


def expected(role: str, done: int) -> int:
    if role == "anonymous":
        return 303  # to the login page
    return done if role in ALLOWED else 404


@pytest.mark.parametrize("path", PAGES)
async def test_pages_answer_each_role(client, cast, path):
    for role in ROLES:
        response = await client.get(path, headers={**HTML, **cast.auth(role)})
        assert response.status_code == expected(role, 200), (role, response.text[-300:])
        if role == "anonymous":
            assert response.headers["location"].startswith("/login?next=/manage/hubs/fes/")
        if response.status_code == 404:
            assert "<h1>404</h1>" in response.text
            assert "Pôle fes" not in response.text


@pytest.mark.parametrize("role", ROLES)
async def test_a_hub_that_does_not_exist_is_not_found_alike(client, cast, role):
    for path in ("/manage/hubs/nowhere/requests", "/manage/hubs/NOT%20A%20SLUG/audit"):
        response = await client.get(path, headers={**HTML, **cast.auth(role)})
        assert response.status_code == (303 if role == "anonymous" else 404), role


@pytest.mark.parametrize(("path", "form", "done"), ACTIONS)
@pytest.mark.parametrize("role", ROLES)
async def test_decisions_answer_each_role(client, cast, role, path, form, done):
    booking = await make_booking(NOW, cast)
    token = csrf_of((await client.get("/login")).text)
    data = {k: v.format(id=booking) for k, v in form.items()} | {"_csrf_token": token}
    response = await client.post(
        BASE + path.format(id=booking),
        data=data,
        headers={**HTML, **cast.auth(role)},
        follow_redirects=False,
    )
    success = 200 if path == "/requests/approve" else 303
    assert response.status_code == expected(role, success), (role, response.text[-300:])
    status = (await Booking.select(Booking.status).where(Booking.id == booking))[0]["status"]
    assert status == (done if role in ALLOWED else "pending"), role


@pytest.mark.parametrize("action", ["check-in", "undo-check-in"])
@pytest.mark.parametrize("role", ROLES)
async def test_check_in_answers_each_role(client, cast, role, action):
    booking = await make_booking(NOW, cast, status="approved", start=TEN)
    token = csrf_of((await client.get("/login")).text)
    response = await client.post(
        f"{BASE}/today/{booking}/{action}",
        data={"_csrf_token": token},
        headers={**HTML, **cast.auth(role)},
        follow_redirects=False,
    )
    assert response.status_code == expected(role, 303), (role, response.text[-300:])
    row = await Booking.select(Booking.checked_in_at).where(Booking.id == booking)
    checked_in = row[0]["checked_in_at"] is not None
    assert checked_in == (role in ALLOWED and action == "check-in"), role
