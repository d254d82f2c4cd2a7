"""Sign-in under pressure: the throttle holds under concurrency, hashing is bounded, the client
address is found behind trusted proxies only, and logs can be neither forged nor leak secrets."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator

import pytest

from hub_booking.app import create_app
from hub_booking.db.tables import LoginAttempt
from hub_booking.domain import throttle
from hub_booking.domain.errors import TooManyAttempts
from hub_booking.services import passwords
from hub_booking.settings import Settings, SettingsError
from hub_booking.web.auth import client_ip
from hub_booking.web.logs import SafeLogFilter, clean
from tests.conftest import NOW, Client, make_settings, serve_in_loop
from tests.factories import PASSWORD, make_user
from tests.web.test_accounts import csrf_of, log_in

PEER = "203.0.113.7"  # the test client's address (tests/conftest.py)


async def _burst(client: Client, forms: list[dict[str, str]]) -> list[int]:
    page = await client.get("/login")
    token = csrf_of(page.text)
    answers = await asyncio.gather(
        *(client.post("/login", data={**form, "_csrf_token": token}) for form in forms)
    )
    return [answer.status_code for answer in answers]


async def test_concurrent_wrong_passwords_get_at_most_the_limit_of_checks(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    wrong = {"email": "ada@example.org", "password": "not the password"}
    statuses = await _burst(client, [wrong] * 15)
    assert statuses.count(401) <= throttle.ACCOUNT_FAILURES
    assert statuses.count(401) + statuses.count(429) == 15
    recorded = await LoginAttempt.count().where(LoginAttempt.email == "ada@example.org")
    assert recorded == statuses.count(401)  # refused attempts checked nothing and left nothing
    assert (await log_in(client, "ada@example.org")).status_code == 429


async def test_concurrent_guesses_across_accounts_respect_the_address_limit(client, database):
    guesses = [{"email": f"guess{n}@example.org", "password": "x" * 8} for n in range(28)]
    statuses = await _burst(client, guesses)
    assert statuses.count(401) <= throttle.ADDRESS_FAILURES
    assert await LoginAttempt.count().where(LoginAttempt.ip == PEER) == statuses.count(401)


async def test_successful_sign_ins_are_limited_per_account(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    for _ in range(throttle.ACCOUNT_SIGN_INS):
        assert (await log_in(client, "ada@example.org")).status_code == 303
    refused = await log_in(client, "ada@example.org")
    assert refused.status_code == 429
    assert "hb_session" not in refused.cookies


def test_successful_sign_ins_are_limited_per_address():
    many = throttle.RecentAttempts(0, 0, 0, throttle.ADDRESS_SIGN_INS)
    assert throttle.refusal(many) is not None
    assert throttle.refusal(throttle.RecentAttempts(0, 0, 0, throttle.ADDRESS_SIGN_INS - 1)) is None


async def test_hashing_pool_refuses_at_once_beyond_its_queue():
    pool = passwords._Pool(workers=1, queue=1)
    release = threading.Event()
    busy = [asyncio.ensure_future(pool.run(release.wait)) for _ in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(TooManyAttempts):
        await asyncio.wait_for(pool.run(lambda: True), timeout=0.5)
    release.set()
    assert await asyncio.gather(*busy) == [True, True]
    assert await pool.run(lambda: "free again") == "free again"


async def test_password_is_checked_off_the_event_loop():
    loop_thread = threading.get_ident()
    seen = await passwords._pool.run(threading.get_ident)
    assert seen != loop_thread
    assert await passwords.verify(passwords.hash_now("a password"), "a password")
    assert not await passwords.verify(None, "a password")


# ---- Client address behind proxies ------------------------------------------------------


def _scope(peer: str, *forwarded: str) -> dict:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 1234), "headers": headers}


@pytest.mark.parametrize(
    ("trusted", "scope", "expected"),
    [
        ((), _scope("10.0.0.2", "198.51.100.1"), "10.0.0.2"),  # off by default
        (("10.0.0.0/8",), _scope("192.0.2.9", "198.51.100.1"), "192.0.2.9"),  # untrusted peer
        (("10.0.0.0/8",), _scope("10.0.0.2", "198.51.100.1"), "198.51.100.1"),
        (("10.0.0.0/8",), _scope("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3"), "198.51.100.1"),
        (("10.0.0.0/8",), _scope("10.0.0.2", "6.6.6.6", "198.51.100.1"), "198.51.100.1"),
        (("10.0.0.2",), _scope("10.0.0.2"), "10.0.0.2"),  # no header: the proxy itself
        (("::1",), _scope("::1", "2001:db8::7"), "2001:db8::7"),
    ],
)
def test_client_address_comes_from_trusted_proxies_only(trusted, scope, expected):
    assert client_ip(scope, trusted) == expected


def test_trusted_proxies_are_read_and_checked_at_start(tmp_path):
    env = {"HUB_BOOKING_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(env).trusted_proxies == ()
    proxies = {**env, "HUB_BOOKING_TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12,::1"}
    assert Settings.from_env(proxies).trusted_proxies == ("10.0.0.1", "172.16.0.0/12", "::1")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        Settings.from_env({**env, "HUB_BOOKING_TRUSTED_PROXIES": "proxy.local"})


@pytest.fixture
async def behind_proxy(database, database_url) -> AsyncIterator[Client]:
    settings = make_settings(database_url, trusted_proxies=(PEER,))
    async with serve_in_loop(create_app(settings, clock=lambda: NOW, engine=database)) as client:
        yield client


async def test_attempts_are_counted_for_the_forwarded_address_behind_a_trusted_proxy(
    behind_proxy, client
):
    page = await behind_proxy.get("/login")
    form = {"email": "x@example.org", "password": "wrong", "_csrf_token": csrf_of(page.text)}
    await behind_proxy.post("/login", data=form, headers={"X-Forwarded-For": "198.51.100.1"})
    await client.post(
        "/login",
        data={**form, "_csrf_token": csrf_of((await client.get("/login")).text)},
        headers={"X-Forwarded-For": "198.51.100.2"},
    )
    rows = await LoginAttempt.select(LoginAttempt.ip).order_by(LoginAttempt.id)
    assert [row["ip"] for row in rows] == ["198.51.100.1", PEER]  # the second app trusts no one


# ---- Logs -------------------------------------------------------------------------------


def _logged(msg: str, *args: object, name: str = "hub_booking") -> str:
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)
    SafeLogFilter().filter(record)
    return record.getMessage()


def test_user_values_cannot_forge_log_lines():
    line = _logged("unhandled error on %s %s", "GET", "/hubs\n2027-01-01 INFO admin signed in")
    assert "\n" not in line
    assert "\\n2027-01-01" in line
    assert "\u202e" not in _logged("%s", "name\u202eevil")


def test_secrets_never_reach_the_logs():
    token = "hb_" + "A1b2" * 10
    assert token not in _logged("called with Bearer %s", token)
    assert token not in _logged("%s", f"Authorization: Bearer {token}")
    assert "s3cret-pass" not in _logged("%s", "email=a%40b.org&password=s3cret-pass&next=/")
    assert "abcdef123456" not in _logged("%s", "Cookie: hb_session=abcdef123456; hb_lang=fr")
    access = _logged(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        "/feeds/Zk3p9sQ2LmXw.ics",
        "1.1",
        200,
        name="uvicorn.access",
    )
    assert "Zk3p9sQ2LmXw" not in access
    assert access.endswith('"GET /feeds/[redacted] HTTP/1.1" 200')
    link = _logged("%s", "POST /invitations/q7Vb2XnR0s-Kd9 HTTP/1.1")
    assert "q7Vb2XnR0s-Kd9" not in link
    assert clean("plain text stays") == "plain text stays"


async def test_app_logs_escape_request_paths(client, database, caplog):
    """The filter is installed with the app (fixture ``client``)."""
    logger = logging.getLogger("hub_booking")
    with caplog.at_level(logging.INFO, logger="hub_booking"):
        logger.info("request on %s", "/x\r\nFAKE LINE")
    assert "FAKE LINE" in caplog.text
    assert "\r\nFAKE" not in caplog.text
