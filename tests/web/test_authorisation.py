"""Every route × every role, with the exact status. A route missing here fails the suite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub_booking.services import accounts, feeds, tokens
from tests.conftest import NOW, SECRET
from tests.factories import ROLES, Cast, make_blackout, make_booking, make_user

ALL = dict.fromkeys(ROLES, 200)
SIGNED_IN = {**ALL, "anonymous": 401}
ADMIN_ONLY_CREATE = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "admin": 201}
SEES_ASSOCIATION_A = {
    "anonymous": 401,
    "member_a": 200,
    "rep_a": 200,
    "member_b": 404,
    "manager": 200,  # A is in the region of the manager's hub
    "other_manager": 404,
    "admin": 200,
    "outsider": 404,
}

SEES_BOOKING_OF_A = {
    "anonymous": 401,
    "member_a": 200,
    "rep_a": 200,
    "member_b": 404,
    "manager": 200,
    "other_manager": 404,
    "admin": 200,
    "outsider": 404,
}
DECIDES_BOOKING_OF_A = {**SEES_BOOKING_OF_A, "member_a": 403, "rep_a": 403}
MANAGES_HUB_CREATE = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "manager": 201, "admin": 201}

# (method, route path as the app declares it) -> expected status per role
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/healthz"): ALL,
    ("GET", "/schema/openapi.json"): ALL,
    ("GET", "/api/v1/hubs"): SIGNED_IN,
    ("POST", "/api/v1/hubs"): ADMIN_ONLY_CREATE,
    ("PATCH", "/api/v1/hubs/{hub_id:int}"): {
        **dict.fromkeys(ROLES, 403),
        "anonymous": 401,
        "manager": 200,
        "admin": 200,
    },
    ("GET", "/api/v1/hubs/{hub_id:int}/resources"): SIGNED_IN,
    ("GET", "/api/v1/resources/{resource_id:int}"): SIGNED_IN,
    ("POST", "/api/v1/resources"): {
        **dict.fromkeys(ROLES, 403),
        "anonymous": 401,
        "manager": 201,
        "admin": 201,
    },
    ("PATCH", "/api/v1/resources/{resource_id:int}"): {
        **dict.fromkeys(ROLES, 403),
        "anonymous": 401,
        "manager": 200,
        "admin": 200,
    },
    ("GET", "/api/v1/associations"): SIGNED_IN,
    ("GET", "/api/v1/associations/{association_id:int}"): SEES_ASSOCIATION_A,
    ("POST", "/api/v1/associations"): ADMIN_ONLY_CREATE,
    ("POST", "/api/v1/associations/{association_id:int}/members"): {
        **dict.fromkeys(ROLES, 404),
        "anonymous": 401,
        "member_a": 403,
        "rep_a": 202,  # a request recorded: only an admin attaches an account (for now)
        "admin": 201,
    },
    ("DELETE", "/api/v1/associations/{association_id:int}/members/{user_id:int}"): {
        **dict.fromkeys(ROLES, 404),
        "anonymous": 401,
        "member_a": 403,
        "rep_a": 204,
        "admin": 204,
    },
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/tokens"): SIGNED_IN,
    ("GET", "/api/v1/feeds"): SIGNED_IN,
    ("POST", "/api/v1/feeds"): {**dict.fromkeys(ROLES, 201), "anonymous": 401},
    ("POST", "/api/v1/feeds/{feed_id:int}/rotate"): {
        **dict.fromkeys(ROLES, 404),
        "anonymous": 401,
        "member_a": 200,
    },
    ("DELETE", "/api/v1/feeds/{feed_id:int}"): {
        **dict.fromkeys(ROLES, 404),
        "anonymous": 401,
        "member_a": 204,
    },
    ("POST", "/api/v1/tokens"): {**dict.fromkeys(ROLES, 201), "anonymous": 401},
    ("DELETE", "/api/v1/tokens/{token_id:int}"): {
        **dict.fromkeys(ROLES, 404),
        "anonymous": 401,
        "member_a": 204,
    },
    ("POST", "/api/v1/bookings"): {
        **dict.fromkeys(ROLES, 403),
        "anonymous": 401,
        "member_a": 201,
        "rep_a": 201,
        "manager": 201,  # on behalf of the association
        "admin": 201,
    },
    ("POST", "/api/v1/bookings/check"): {
        **dict.fromkeys(ROLES, 403),
        "anonymous": 401,
        "member_a": 200,
        "rep_a": 200,
        "manager": 200,
        "admin": 200,
    },
    ("GET", "/api/v1/bookings"): SIGNED_IN,
    ("GET", "/api/v1/bookings/{booking_id:int}"): SEES_BOOKING_OF_A,
    ("PATCH", "/api/v1/bookings/{booking_id:int}"): SEES_BOOKING_OF_A,
    ("POST", "/api/v1/bookings/{booking_id:int}/approve"): DECIDES_BOOKING_OF_A,
    ("POST", "/api/v1/bookings/{booking_id:int}/reject"): DECIDES_BOOKING_OF_A,
    ("POST", "/api/v1/bookings/{booking_id:int}/cancel"): SEES_BOOKING_OF_A,
    ("POST", "/api/v1/bookings/{booking_id:int}/check-in"): DECIDES_BOOKING_OF_A,
    ("GET", "/api/v1/availability"): SIGNED_IN,
    ("POST", "/api/v1/hubs/{hub_id:int}/blackouts"): MANAGES_HUB_CREATE,
    ("GET", "/api/v1/hubs/{hub_id:int}/blackouts"): SIGNED_IN,
    ("DELETE", "/api/v1/blackouts/{closure_id:int}"): {
        **MANAGES_HUB_CREATE,
        "manager": 204,
        "admin": 204,
    },
}


async def request_for(
    method: str, route: str, cast: Cast, role: str
) -> tuple[str, dict[str, Any] | None]:
    """A concrete path and a valid body for the route, aimed at hub H / association A, with a
    fresh object for each role where the call changes it (a pending booking, a closure)."""
    index = ROLES.index(role)
    day = datetime(2027, 2, 1, 9, tzinfo=UTC) + timedelta(days=index)
    status = "approved" if route.endswith("/check-in") else "pending"  # only those check in
    booking_id = (
        await make_booking(NOW, cast, start=day + timedelta(hours=5), status=status)
        if "booking_id" in route
        else 0
    )
    closure_id = (
        await make_blackout(NOW, cast, day, day + timedelta(hours=1))
        if "closure_id" in route
        else 0
    )
    token_id = (
        (await tokens.issue_token(cast.users["member_a"], "spare", NOW, SECRET))[0].id
        if "token_id" in route
        else 0
    )
    feed_id = await _feed_of_member_a(cast) if "feed_id" in route else 0
    member_id = (
        await make_user(
            NOW, f"leaving.{role}@example.org", member_of={cast.association_a: "member"}
        )
        if "user_id" in route
        else 0
    )
    path = (
        route.replace("{hub_id:int}", str(cast.hub))
        .replace("{resource_id:int}", str(cast.room))
        .replace("{association_id:int}", str(cast.association_a))
        .replace("{booking_id:int}", str(booking_id))
        .replace("{token_id:int}", str(token_id))
        .replace("{feed_id:int}", str(feed_id))
        .replace("{closure_id:int}", str(closure_id))
        .replace("{user_id:int}", str(member_id))
    )
    if route == "/api/v1/availability":
        path += (
            f"?hub_id={cast.hub}&from=2027-02-01T00:00:00%2B00:00&to=2027-02-08T00:00:00%2B00:00"
        )
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/hubs": {
            "slug": f"new-{role}",
            "name_fr": "Pôle",
            "timezone": "Africa/Casablanca",
            "region": "oriental",
        },
        "/api/v1/resources": {
            "hub_id": cast.hub,
            "kind": "space",
            "name_fr": "Salle B",
            "capacity": 10,
        },
        "/api/v1/associations": {"slug": f"new-{role}", "name_ar": "جمعية", "region": "fes-meknes"},
        "/api/v1/associations/{association_id:int}/members": {"email": "new.member@example.org"},
        "/api/v1/resources/{resource_id:int}": {"capacity": 25},
        "/api/v1/hubs/{hub_id:int}": {"name_fr": f"Pôle de Fès ({role})"},
        "/api/v1/bookings": {
            "association_id": cast.association_a,
            "title": "Atelier",
            "starts_at": day.isoformat(),
            "ends_at": (day + timedelta(hours=2)).isoformat(),
            "attendees": 10,
            "items": [{"resource_id": cast.room, "quantity": 1}],
        },
        "/api/v1/tokens": {"label": f"new-{role}"},
        "/api/v1/feeds": {"scope": "me"},
        "/api/v1/bookings/check": {
            "association_id": cast.association_a,
            "title": "Atelier",
            "starts_at": day.isoformat(),
            "ends_at": (day + timedelta(hours=2)).isoformat(),
            "items": [{"resource_id": cast.room, "quantity": 1}],
        },
        "/api/v1/bookings/{booking_id:int}": {"title": "Réunion du bureau"},
        "/api/v1/bookings/{booking_id:int}/reject": {"reason": "Salle réservée pour l'Aïd"},
        "/api/v1/bookings/{booking_id:int}/cancel": {"scope": "this"},
        "/api/v1/hubs/{hub_id:int}/blackouts": {
            "starts_at": (day + timedelta(days=20)).isoformat(),
            "ends_at": (day + timedelta(days=21)).isoformat(),
            "reason": "Aïd al-Fitr",
        },
    }
    return path, bodies.get(route) if method not in ("GET", "DELETE") else None


async def _feed_of_member_a(cast: Cast) -> int:
    owner = await accounts.load_principal(cast.users["member_a"])
    assert owner is not None
    issued = await feeds.create_feed(
        owner, feeds.FeedScope.ME, None, NOW, SECRET, "http://127.0.0.1:8000"
    )
    return issued.feed.id


def api_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if route.path.startswith(("/api/", "/healthz", "/schema/openapi.json")):
            for method in route.methods:
                if method not in ("HEAD", "OPTIONS"):
                    found.add((method, route.path))
    return found


async def test_every_api_route_has_an_entry_in_the_matrix(client):
    assert api_routes(client.app) == set(MATRIX)


@pytest.mark.parametrize(("method", "route"), sorted(MATRIX))
async def test_route_answers_each_role_with_the_exact_status(client, cast, method, route):
    for role in ROLES:
        path, body = await request_for(method, route, cast, role)
        response = await client.request(method, path, json=body, headers=cast.auth(role))
        assert response.status_code == MATRIX[(method, route)][role], (role, response.text)


async def test_members_see_only_their_own_association(client, cast):
    response = await client.get("/api/v1/associations", headers=cast.auth("member_b"))
    assert [a["id"] for a in response.json()["items"]] == [cast.association_b]


async def test_outsider_sees_no_association(client, cast):
    response = await client.get("/api/v1/associations", headers=cast.auth("outsider"))
    assert response.json() == {"items": [], "total": 0}


async def test_other_hubs_manager_cannot_patch_and_nothing_changes(client, cast):
    response = await client.patch(
        f"/api/v1/resources/{cast.room}", json={"capacity": 2}, headers=cast.auth("other_manager")
    )
    assert response.status_code == 403
    room = await client.get(f"/api/v1/resources/{cast.room}", headers=cast.auth("manager"))
    assert room.json()["capacity"] == 30
