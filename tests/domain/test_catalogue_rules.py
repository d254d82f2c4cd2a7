import pytest

from hub_booking.domain.catalogue import (
    check_association,
    check_email,
    check_hub,
    check_hub_changes,
    check_resource,
    normalise_email,
)
from hub_booking.domain.errors import Invalid
from hub_booking.domain.model import MemberRole, Principal, display_name
from hub_booking.domain.rules import (
    DEFAULT_RULES,
    effective_rules,
    opening_hours_violations,
    rules_violations,
)
from hub_booking.domain.throttle import login_allowed

HUB = {"slug": "fes", "name_fr": "Pôle", "timezone": "Africa/Casablanca", "region": "fes-meknes"}


def zone_exists(name: str) -> bool:
    return name == "Africa/Casablanca"


def test_a_valid_hub_passes():
    check_hub(HUB, zone_exists)


def test_hub_problems_are_all_listed():
    with pytest.raises(Invalid) as caught:
        check_hub({"slug": "-bad", "timezone": "X", "region": "Fès"}, zone_exists)
    assert {v.field for v in caught.value.violations} == {"slug", "timezone", "region", "name_fr"}


@pytest.mark.parametrize(
    "hours",
    [
        {"mon": [["08:00", "12:00"], ["14:00", "24:00"]]},
        {},
        {"sun": []},
    ],
)
def test_valid_opening_hours(hours):
    assert opening_hours_violations(hours) == []


@pytest.mark.parametrize(
    "hours",
    [
        {"mon": [["8:00", "12:00"]]},
        {"mon": [["12:00", "12:00"]]},
        {"mon": [["14:00", "18:00"], ["08:00", "12:00"]]},
        {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]},
        {"mon": "08:00-12:00"},
        {"funday": []},
        [["08:00", "12:00"]],
        {"mon": [["08:00", "25:00"]]},
    ],
)
def test_invalid_opening_hours(hours):
    assert opening_hours_violations(hours)


def test_rules_reject_unknown_keys_negative_and_boolean_values():
    found = rules_violations(
        {"max_minutes": -1, "nap_minutes": 3, "min_minutes": True, "granularity_minutes": 0}
    )
    assert {v.field for v in found} == {
        "rules.max_minutes",
        "rules.nap_minutes",
        "rules.min_minutes",
        "rules.granularity_minutes",
    }


@pytest.mark.parametrize(
    ("rule", "highest"),
    [
        ("max_minutes", 525_600),
        ("min_notice_minutes", 525_600),
        ("cancel_deadline_minutes", 525_600),
        ("max_advance_days", 1826),
        ("buffer_before_minutes", 1440),
        ("buffer_after_minutes", 1440),
        ("granularity_minutes", 1440),
        ("weekly_quota_hours", 10_000),
        ("max_future_bookings", 10_000),
    ],
)
def test_every_rule_has_a_documented_range(rule, highest):
    assert rules_violations({rule: highest}) == []
    [problem] = rules_violations({rule: highest + 1})
    assert (problem.code, problem.field) == ("invalid_rule", f"rules.{rule}")
    assert problem.params["max"] == highest


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "240", None, [240], 10**30])
def test_a_rule_value_of_the_wrong_kind_is_refused(value):
    assert rules_violations({"max_minutes": value})
    assert rules_violations({"weekly_quota_hours": value})


def test_integer_rules_refuse_fractions():
    assert rules_violations({"max_minutes": 90.5})


def test_a_day_has_at_most_24_opening_periods():
    periods = [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(24)]
    assert opening_hours_violations({"mon": periods}) == []
    assert opening_hours_violations({"mon": [*periods, ["23:40", "23:50"]]})


def test_hub_changes_check_only_what_is_sent_but_keep_a_name():
    current = {"name_fr": "Pôle", "name_ar": ""}
    check_hub_changes({}, current, zone_exists)
    check_hub_changes({"opening_hours": {}, "rules": {}}, current, zone_exists)
    with pytest.raises(Invalid) as caught:
        check_hub_changes({"name_fr": "", "timezone": "Mars/Olympus"}, current, zone_exists)
    assert {v.field for v in caught.value.violations} == {"name_fr", "timezone"}


def test_empty_opening_hours_are_valid_for_a_new_hub():
    check_hub({**HUB, "opening_hours": {}}, zone_exists)


@pytest.mark.parametrize(
    "email", ["a@b", "a b@c.org", "a\u202e@b.org", "a@b.org\u2066", "a\x00@b.org", 3]
)
def test_emails_are_refused_with_spaces_controls_or_bidi_overrides(email):
    assert check_email(email)


def test_contact_email_of_an_association_is_checked():
    data = {"slug": "a", "name_fr": "A", "region": "fes-meknes", "contact_email": "nope"}
    with pytest.raises(Invalid) as caught:
        check_association(data)
    assert [v.field for v in caught.value.violations] == ["contact_email"]


def test_seats_and_units_have_a_ceiling():
    check_resource({"kind": "space", "name_fr": "S", "capacity": 100_000})
    with pytest.raises(Invalid):
        check_resource({"kind": "space", "name_fr": "S", "capacity": 100_001})


def test_quota_hours_may_be_fractional():
    assert rules_violations({"weekly_quota_hours": 7.5}) == []


def test_resource_rules_override_hub_rules_override_defaults():
    rules = effective_rules({"max_minutes": 240, "min_minutes": 30}, {"max_minutes": 120})
    assert rules["max_minutes"] == 120
    assert rules["min_minutes"] == 30
    assert rules["granularity_minutes"] == DEFAULT_RULES["granularity_minutes"] == 15
    assert rules["max_advance_days"] == 400


def test_space_needs_capacity_equipment_does_not():
    with pytest.raises(Invalid):
        check_resource({"kind": "space", "name_ar": "قاعة"})
    check_resource({"kind": "equipment", "name_ar": "حاسوب", "quantity": 15})


def test_partial_resource_update_checks_only_what_is_sent():
    check_resource({"kind": "space", "capacity": 12}, partial=True)
    with pytest.raises(Invalid):
        check_resource({"kind": "space", "active": "yes"}, partial=True)


def test_email_is_unique_case_insensitively():
    assert normalise_email("  Samira@Example.ORG ") == "samira@example.org"


def test_name_falls_back_to_the_other_language():
    assert display_name("Salle", "", "ar") == "Salle"
    assert display_name("", "قاعة", "fr") == "قاعة"
    assert display_name("Salle", "قاعة", "ar") == "قاعة"
    assert display_name("Salle", "قاعة", "en") == "Salle"


def test_principal_roles():
    principal = Principal(
        1,
        "a@b.c",
        "A",
        "fr",
        managed_hubs=frozenset({3}),
        memberships={7: MemberRole.REPRESENTATIVE, 8: MemberRole.MEMBER},
    )
    assert principal.manages(3)
    assert not principal.manages(4)
    assert principal.represents(7)
    assert not principal.represents(8)
    assert principal.is_member_of(8)
    assert not principal.is_member_of(9)
    admin = Principal(2, "x@y.z", "X", "fr", is_platform_admin=True)
    assert admin.manages(99)


def test_login_throttle_thresholds():
    assert login_allowed(4, 19)
    assert not login_allowed(5, 0)
    assert not login_allowed(0, 20)
