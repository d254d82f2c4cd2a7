"""Hub settings page: who may open it, the form (hours with several periods, rules, names,
zone), bad input on its fields, and the bookings a change would break, listed then kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub_booking.db.tables import AuditLog, Booking, Hub
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS, WEEKDAYS
from hub_booking.i18n import translate
from tests.conftest import NOW
from tests.factories import ROLES, make_booking
from tests.web.sessions import HTML, csrf_of

# NOW is Monday 2027-01-11 09:00; the hub's clock is UTC+0 then.
TUESDAY = datetime(2027, 1, 19, 10, tzinfo=UTC)
MANAGES_HUB_FES = {
    "anonymous": 303,  # to the login page
    "member_a": 404,
    "rep_a": 404,
    "member_b": 404,
    "outsider": 404,
    "other_manager": 404,  # another hub's manager: as if the hub did not exist
    "manager": 200,
    "admin": 200,
}


def as_role(cast, role: str) -> dict[str, str]:
    return {**HTML, **cast.auth(role)}


async def csrf(client) -> str:
    return csrf_of((await client.get("/login")).text)


async def post_as(client, cast, role: str, path: str, form: dict[str, Any]):
    body = {**form, "_csrf_token": await csrf(client)}
    return await client.post(path, data=body, headers=as_role(cast, role), follow_redirects=False)


def settings_form(**changes: Any) -> dict[str, Any]:
    """The settings form as the page fills it for the test hub, with ``changes``."""
    form: dict[str, Any] = {
        "name_fr": "Pôle fes",
        "name_ar": "قطب fes",
        "address": "",
        "timezone": "Africa/Casablanca",
    }
    for day in WEEKDAYS:
        form[f"{day}_from_1"], form[f"{day}_to_1"] = "08:00", "22:00"
    form.update(changes)
    return form


async def hub_row(cast) -> dict[str, Any]:
    query = Hub.select(Hub.name_fr, Hub.opening_hours, Hub.rules, Hub.timezone)
    return await query.where(Hub.id == cast.hub).first().output(load_json=True)


def field_error(html: str, field: str) -> str:
    found = re.search(
        rf'id="{field}-error"><span class="visually-hidden">[^<]*</span> ([^<]*)<', html
    )
    assert found, f"no error beside {field}"
    return found.group(1)


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="listed" value="(\d+)"', html)]


@pytest.mark.parametrize("role", ROLES)
async def test_the_settings_page_answers_each_role(client, cast, role):
    response = await client.get("/manage/hubs/fes/settings", headers=as_role(cast, role))
    assert response.status_code == MANAGES_HUB_FES[role]
    if role == "anonymous":
        assert response.headers["location"] == "/login?next=/manage/hubs/fes/settings"
    if response.status_code == 404:
        assert "Pôle fes" not in response.text


@pytest.mark.parametrize("role", ROLES)
async def test_saving_settings_answers_each_role_and_only_managers_change_anything(
    client, cast, role
):
    form = settings_form(name_fr="Pôle de Fès-Saïss")
    response = await post_as(client, cast, role, "/manage/hubs/fes/settings", form)
    expected = 303 if MANAGES_HUB_FES[role] == 200 else MANAGES_HUB_FES[role]
    assert response.status_code == expected, response.text
    saved = (await hub_row(cast))["name_fr"] == "Pôle de Fès-Saïss"
    assert saved == (role in ("manager", "admin"))


async def test_another_hubs_manager_gets_404_for_their_own_page_of_another_slug(client, cast):
    mine = await client.get("/manage/hubs/rabat/settings", headers=as_role(cast, "other_manager"))
    assert mine.status_code == 200
    theirs = await client.get("/manage/hubs/rabat/settings", headers=as_role(cast, "manager"))
    assert theirs.status_code == 404
    unknown = await client.get("/manage/hubs/NOT_A_SLUG/settings", headers=as_role(cast, "admin"))
    assert unknown.status_code == 404


async def test_the_form_shows_the_hub_as_it_is(client, cast):
    await Hub.update(
        {
            Hub.opening_hours: {"mon": [["08:00", "12:00"], ["14:00", "18:00"]], "sun": []},
            Hub.rules: {"max_minutes": 240, "weekly_quota_hours": 7.5},
        }
    ).where(Hub.id == cast.hub)
    html = (await client.get("/manage/hubs/fes/settings", headers=as_role(cast, "manager"))).text
    assert 'id="mon_from_2"' in html
    assert 'name="mon_to_2" type="text"' in html
    assert re.search(r'id="mon_to_2"[^>]*value="18:00"', html)
    assert re.search(r'id="sun_closed" name="sun_closed" value="1" checked', html)
    assert re.search(r'id="tue_closed" name="tue_closed" value="1" checked', html)  # absent: closed
    assert re.search(r'id="max_minutes"[^>]*value="240"', html)
    assert re.search(r'id="weekly_quota_hours"[^>]*value="7.5"', html)
    assert 'aria-current="page">' + translate("fr", "Settings") in html


async def test_a_manager_sets_several_periods_a_day_closed_days_and_rules(client, cast):
    form = settings_form(
        mon_from_1="09:00",
        mon_to_1="12:00",
        mon_from_2="14:00",
        mon_to_2="18:30",
        sun_closed="1",
        fri_from_1="08:00",
        fri_to_1="24:00",
        max_minutes="240",
        granularity_minutes="30",
        weekly_quota_hours="7,5",
        buffer_after_minutes="15",
        timezone="Africa/Tunis",
    )
    response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", form)
    assert response.status_code == 303
    assert response.headers["location"] == "/manage/hubs/fes/settings"
    hub = await hub_row(cast)
    assert hub["opening_hours"]["mon"] == [["09:00", "12:00"], ["14:00", "18:30"]]
    assert hub["opening_hours"]["sun"] == []
    assert hub["opening_hours"]["fri"] == [["08:00", "24:00"]]
    assert hub["rules"] == {
        "max_minutes": 240,
        "granularity_minutes": 30,
        "weekly_quota_hours": 7.5,
        "buffer_after_minutes": 15,
    }
    assert hub["timezone"] == "Africa/Tunis"
    audit = await AuditLog.select(AuditLog.action).where(AuditLog.action == "hub.updated")
    assert len(audit) == 1
    shown = await client.get("/manage/hubs/fes/settings", headers=as_role(cast, "manager"))
    assert translate("fr", "The settings of the hub are saved.") in shown.text


async def test_rules_the_form_does_not_show_are_kept(client, cast):
    hours = {"mon": [["10:00", "11:00"]]}
    await Hub.update({Hub.rules: {"opening_hours": hours, "max_minutes": 60}}).where(
        Hub.id == cast.hub
    )
    response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", settings_form())
    assert response.status_code == 303
    assert (await hub_row(cast))["rules"] == {"opening_hours": hours}  # max emptied, hours kept


async def test_the_check_in_rule_is_a_switch_of_the_settings(client, cast):
    form = settings_form(requires_check_in="1")
    response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", form)
    assert response.status_code == 303
    assert (await hub_row(cast))["rules"] == {"requires_check_in": True}
    shown = await client.get("/manage/hubs/fes/settings", headers=as_role(cast, "manager"))
    assert 'name="requires_check_in" value="1"' in shown.text
    assert 'aria-describedby="requires_check_in-hint" checked' in shown.text
    unticked = settings_form()  # an unticked box is not sent: the rule is off again
    await post_as(client, cast, "manager", "/manage/hubs/fes/settings", unticked)
    assert "requires_check_in" not in (await hub_row(cast))["rules"]


BAD_INPUT = [
    ({"mon_from_1": "25:00"}, "mon_from_1", "Enter a time such as 14:30."),
    ({"tue_to_1": "soon"}, "tue_to_1", "Enter a time such as 14:30."),
    (
        {"wed_from_1": "18:00", "wed_to_1": "09:00"},
        "wed_to_1",
        "The end must come after the start.",
    ),
    (
        {"thu_from_2": "10:00", "thu_to_2": "12:00"},
        "thu_from_1",
        "Opening periods must not overlap.",
    ),
    ({"fri_from_2": "23:00"}, "fri_to_2", "Enter a time such as 14:30."),
    ({"max_minutes": "99999999999999999999"}, "max_minutes", None),
    ({"granularity_minutes": "0"}, "granularity_minutes", None),
    ({"weekly_quota_hours": "-3"}, "weekly_quota_hours", "Must be a number."),
    ({"min_notice_minutes": "1e9"}, "min_notice_minutes", "Must be a number."),
    ({"timezone": "Mars/Olympus"}, "timezone", None),
    ({"name_fr": "x" * 300}, "name_fr", None),
    ({"name_fr": "", "name_ar": ""}, "name_fr", None),
    ({"address": "rue\u202eevil"}, "address", None),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUT)
async def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(
    client, cast, changes, field, message
):
    before = await hub_row(cast)
    form = settings_form(**changes)
    response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", form)
    assert response.status_code == 422, response.text
    error = field_error(response.text, field)
    if message:
        assert error == translate("fr", message)
    assert 'class="error-summary"' in response.text
    assert f'href="#{field}"' in response.text
    assert await hub_row(cast) == before
    assert not await AuditLog.exists().where(AuditLog.action == "hub.updated")


async def test_garbage_posts_never_answer_500(client, cast):
    for body in (
        {"mon_from_1": ["08:00", "09:00"], "max_minutes": ["1", "x"]},
        {f"mon_from_{n}": "08:00" for n in range(1, 40)},
        {"name_fr": "\x00", "rules": "{}", "opening_hours": "[]"},
        {},
    ):
        response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", body)
        assert response.status_code in (303, 422), (body, response.status_code)


async def test_shorter_hours_list_the_bookings_they_break_and_confirming_keeps_them(client, cast):
    morning = await make_booking(NOW, cast, status="approved", start=TUESDAY, title="Matin")
    evening = await make_booking(
        NOW, cast, status="approved", start=TUESDAY.replace(hour=17), title="Soir"
    )
    past = await make_booking(
        NOW, cast, status="approved", start=NOW - timedelta(days=1), title="Hier"
    )
    form = settings_form(tue_from_1="14:00", tue_to_1="20:00")
    response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", form)
    assert response.status_code == 200
    assert listed(response.text) == [morning]  # the evening fits, the past is not listed
    assert "Matin" in response.text
    assert translate(
        "fr", "%(name)s is not open for the whole of this time.", name="Salle Atlas"
    ) in (response.text.replace("&#39;", "'"))
    assert (await hub_row(cast))["opening_hours"] == DEFAULT_OPENING_HOURS  # not saved yet
    confirmed = await post_as(
        client, cast, "manager", "/manage/hubs/fes/settings", {**form, "confirm": "yes"}
    )
    assert confirmed.status_code == 303
    assert (await hub_row(cast))["opening_hours"]["tue"] == [["14:00", "20:00"]]
    statuses = await Booking.select(Booking.id, Booking.status).where(
        Booking.id.is_in([morning, evening, past])
    )
    assert {row["status"] for row in statuses} == {"approved"}  # kept, only listed


async def test_rules_list_too_long_off_step_quota_and_buffer_breaks(client, cast):
    long = await make_booking(NOW, cast, status="approved", start=TUESDAY, minutes=180)
    odd = await make_booking(
        NOW, cast, status="pending", start=TUESDAY.replace(hour=14, minute=10), minutes=30
    )
    fine = await make_booking(NOW, cast, status="approved", start=TUESDAY.replace(hour=16))
    close = await make_booking(NOW, cast, status="approved", start=TUESDAY.replace(hour=17))
    cancelled = await make_booking(
        NOW, cast, status="cancelled", start=TUESDAY.replace(hour=19), minutes=600
    )
    form = settings_form(max_minutes="120", granularity_minutes="15", buffer_after_minutes="30")
    response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", form)
    html = response.text.replace("&#39;", "'")
    ids = listed(html)
    assert long in ids
    assert odd in ids
    assert close in ids  # 16:00-17:00 now holds the room until 17:30
    assert fine not in ids
    assert cancelled not in ids
    assert translate("fr", "Start and end must fall on %(step)s-minute marks.", step=15) in html
    quota = settings_form(weekly_quota_hours="4")
    response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", quota)
    # 3 h + 0.5 h fit in 4 h a week; the later two go over (the odd one is still off-step).
    assert sorted(listed(response.text)) == sorted([odd, fine, close])


async def test_a_manager_override_is_not_listed_for_policy_rules(client, cast):
    booking = await make_booking(NOW, cast, status="approved", start=TUESDAY, minutes=300)
    await Booking.update({Booking.override: True}).where(Booking.id == booking)
    form = settings_form(max_minutes="60")
    response = await post_as(client, cast, "manager", "/manage/hubs/fes/settings", form)
    assert response.status_code == 303  # nothing listed: saved at once
