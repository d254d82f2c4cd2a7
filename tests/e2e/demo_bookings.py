"""A believable week of bookings on the demo hub, made through the JSON API of a running server.

Used by the browser tests and ``make screenshots``: the demo data (``seed-demo``) has hubs,
resources and people but no bookings. Everything goes through ``POST /api/v1/bookings`` with
the demo people's own API tokens, so every rule is checked as for anybody. The week is the
next one (Monday to Saturday; the demo hub is closed on Sundays), so nothing is in the past.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from hub_booking.zones import get_zone
from tests.servers import create_tokens

DEMO = "demo.hub-booking.ma"
HUB_SLUG = "fes-meknes"
ZONE = get_zone("Africa/Casablanca")
REP1, REP2, REP3 = (f"rep{n}@{DEMO}" for n in (1, 2, 3))
MEMBER1 = f"member1@{DEMO}"
MANAGER = f"manager@{DEMO}"

# (who, day of the week from 0 = Monday, start hour, hours, title, [(resource, units)], weeks)
BOOKINGS: list[tuple[str, int, float, float, str, list[tuple[str, int]], int]] = [
    (REP1, 0, 9, 2, "Formation des bénévoles", [("Salle de formation Atlas", 1)], 1),
    (REP1, 1, 10, 2, "Atelier couture", [("Salle de formation Zalagh", 1)], 4),
    (REP1, 2, 14, 2.5, "Assemblée générale", [("Grande salle polyvalente", 1)], 1),
    (
        REP1,
        3,
        9,
        1,
        "Réunion du bureau",
        [("Salle de réunion Ifrane", 1), ("Vidéoprojecteur", 1)],
        1,
    ),
    (REP2, 0, 14, 3, "Débat jeunesse citoyenne", [("Salle de formation Atlas", 1)], 1),
    (REP2, 1, 9, 3, "Formation premiers secours", [("Salle de formation Saïss", 1)], 1),
    (REP2, 4, 10, 2, "Comité de pilotage", [("Salle de formation Atlas", 1)], 1),
    (REP3, 2, 9, 2, "Cours d'alphabétisation", [("Salle de formation Sebou", 1)], 1),
    (REP3, 3, 14, 4, "Permanence juridique", [("Espace coworking", 1)], 1),
    (
        REP3,
        4,
        14,
        2,
        "Projection-débat",
        [("Salle de réunion Volubilis", 1), ("Vidéoprojecteur", 2)],
        1,
    ),
]
CLOSURE = (5, 14, 8, "Maintenance électrique")  # Saturday 14:00-22:00, the whole hub


@dataclass(frozen=True)
class DemoWeek:
    monday: date
    hub_id: int
    resources: dict[str, int]  # French name -> id
    bookings: dict[str, list[int]]  # title -> ids (several for a repeated booking)
    tokens: dict[str, str]


def next_monday(today: date | None = None) -> date:
    today = today or datetime.now(ZONE).date()
    return today + timedelta(days=7 - today.weekday())


def make_week(base_url: str, env: Mapping[str, str], monday: date | None = None) -> DemoWeek:
    """Book the demo week on the server at ``base_url`` (its environment ``env``)."""
    monday = monday or next_monday()
    tokens = create_tokens([REP1, REP2, REP3, MANAGER], env, name="demo week")
    hub = next(
        h for h in _get(base_url, "/api/v1/hubs", tokens[MANAGER])["items"] if h["slug"] == HUB_SLUG
    )
    listed = _get(base_url, f"/api/v1/hubs/{hub['id']}/resources?limit=100", tokens[MANAGER])
    resources = {r["name_fr"]: r["id"] for r in listed["items"]}
    made: dict[str, list[int]] = {}
    for who, weekday, hour, hours, title, items, weeks in BOOKINGS:
        me = _get(base_url, "/api/v1/me", tokens[who])
        start = datetime.combine(monday + timedelta(days=weekday), time(), tzinfo=ZONE)
        start += timedelta(hours=hour)
        body: dict[str, Any] = {
            "association_id": me["memberships"][0]["association_id"],
            "title": title,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=hours)).isoformat(),
            "attendees": 6,
            "items": [{"resource_id": resources[name], "quantity": n} for name, n in items],
        }
        if weeks > 1:
            body["recurrence"] = {"rrule": f"FREQ=WEEKLY;COUNT={weeks}"}
        answer = _post(base_url, "/api/v1/bookings", tokens[who], body)
        made[title] = [o["id"] for o in answer.get("occurrences") or [answer]]
    weekday, hour, hours, reason = CLOSURE
    start = datetime.combine(monday + timedelta(days=weekday), time(), tzinfo=ZONE)
    start += timedelta(hours=hour)
    closure = {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        "reason": reason,
    }
    _post(base_url, f"/api/v1/hubs/{hub['id']}/blackouts", tokens[MANAGER], closure)
    return DemoWeek(monday, hub["id"], resources, made, tokens)


def _get(base_url: str, path: str, token: str) -> Any:
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class DemoError(RuntimeError):
    """The server refused a demo booking (its answer is in the message)."""


def _post(base_url: str, path: str, token: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise DemoError(f"POST {path} {body}: {exc.code} {exc.read().decode()}") from exc
