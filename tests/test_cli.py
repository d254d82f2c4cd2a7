"""The hub-booking command, run as a user would run it (a real process on the test database)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from piccolo.apps.migrations.tables import Migration

from hub_booking.db.tables import AppUser, Association, Hub, Resource
from tests.conftest import SECRET

COMMAND = str(Path(sys.executable).with_name("hub-booking"))  # the installed console script


def run_cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HUB_BOOKING_DATABASE_URL": settings.database_url,
        "HUB_BOOKING_SECRET_KEY": SECRET,
        "HUB_BOOKING_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run([COMMAND, *args], env=env, capture_output=True, text=True, timeout=120)


async def counts() -> tuple[int, ...]:
    return tuple([await table.count() for table in (Hub, Resource, Association, AppUser)])


async def test_migrate_twice_is_a_no_op(settings, database):
    before = await Migration.count()
    first, second = run_cli(settings, "migrate"), run_cli(settings, "migrate")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert await Migration.count() == before


async def test_seed_demo_twice_creates_nothing_new(settings, database):
    first = run_cli(settings, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "manager@demo.hub-booking.ma" in first.stdout
    after_first = await counts()
    assert after_first[0] == 1
    assert after_first[1] >= 18
    assert after_first[2] == 30
    second = run_cli(settings, "seed-demo")
    assert second.returncode == 0, second.stderr
    assert await counts() == after_first


async def test_create_user_then_token_authenticates(settings, database, client):
    created = run_cli(
        settings,
        "create-user",
        "--email",
        "Nadia@Example.org",
        "--password",
        "s3cret-pass",
        "--role",
        "platform_admin",
    )
    assert created.returncode == 0, created.stderr
    again = run_cli(
        settings, "create-user", "--email", "nadia@example.org", "--password", "other-pass-1"
    )
    assert again.stdout.strip() == created.stdout.strip()  # the same user, case-insensitively
    issued = run_cli(settings, "create-token", "--email", "nadia@example.org", "--name", "laptop")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == "nadia@example.org"
    assert me.json()["is_platform_admin"] is True


async def test_create_user_as_manager_and_member(settings, database):
    assert run_cli(settings, "seed-demo").returncode == 0
    manager = run_cli(
        settings,
        "create-user",
        "--email",
        "m@example.org",
        "--password",
        "longenough",
        "--role",
        "hub_manager",
        "--hub",
        "fes-meknes",
    )
    member = run_cli(
        settings,
        "create-user",
        "--email",
        "r@example.org",
        "--password",
        "longenough",
        "--association",
        "assoc-fes-01",
        "--representative",
    )
    assert (manager.returncode, member.returncode) == (0, 0), manager.stderr + member.stderr


async def test_errors_are_one_line_on_stderr_with_non_zero_status(settings, database):
    unknown_hub = run_cli(
        settings,
        "create-user",
        "--email",
        "x@example.org",
        "--password",
        "longenough",
        "--hub",
        "nowhere",
    )
    assert unknown_hub.returncode != 0
    assert len(unknown_hub.stderr.strip().splitlines()) == 1
    assert "hub" in unknown_hub.stderr
    no_user = run_cli(settings, "create-token", "--email", "ghost@example.org")
    assert no_user.returncode != 0
    assert no_user.stderr.startswith("hub-booking: error:")


def test_production_refuses_to_start_without_a_secret():
    env = {
        **os.environ,
        "HUB_BOOKING_ENV": "production",
        "HUB_BOOKING_DATABASE_URL": "postgresql://x@127.0.0.1/x",
    }
    env.pop("HUB_BOOKING_SECRET_KEY", None)
    result = subprocess.run([COMMAND, "migrate"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "HUB_BOOKING_SECRET_KEY" in result.stderr


def test_instances_starting_together_on_a_fresh_database_all_migrate(fresh_database_url):
    env = {
        **os.environ,
        "HUB_BOOKING_DATABASE_URL": fresh_database_url,
        "HUB_BOOKING_SECRET_KEY": SECRET,
    }
    processes = [
        subprocess.Popen(
            [COMMAND, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    assert [code for code, _ in results] == [0, 0, 0], results
    again = subprocess.run(
        [COMMAND, "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0


async def test_retime_reports_what_it_did(settings, database):
    assert run_cli(settings, "seed-demo").returncode == 0
    result = run_cli(settings, "retime")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("zone data 2026")
