import pytest

from hub_booking.domain.catalogue import check_hub, check_resource, normalise_email
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
