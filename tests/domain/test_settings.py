from pathlib import Path

import pytest

from hub_booking.settings import Settings, SettingsError


def test_defaults_follow_the_contract(tmp_path: Path):
    settings = Settings.from_env({"HUB_BOOKING_VAR_DIR": str(tmp_path)})
    assert settings.database_url == "sqlite:///var/hub_booking.sqlite3"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert (settings.timezone, settings.language, settings.scheduler) == (
        "Africa/Casablanca",
        "fr",
        True,
    )
    assert settings.smtp_url is None


def test_local_secret_is_generated_once_and_kept(tmp_path: Path):
    first = Settings.from_env({"HUB_BOOKING_VAR_DIR": str(tmp_path)}).secret_key
    second = Settings.from_env({"HUB_BOOKING_VAR_DIR": str(tmp_path)}).secret_key
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"HUB_BOOKING_DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"HUB_BOOKING_DATABASE_URL": "postgresql://u@h:5432"}, "DATABASE_URL"),
        ({"HUB_BOOKING_TIMEZONE": "Africa/Atlantis"}, "TIMEZONE"),
        ({"HUB_BOOKING_LANGUAGE": "de"}, "LANGUAGE"),
        ({"HUB_BOOKING_SCHEDULER": "maybe"}, "SCHEDULER"),
        ({"HUB_BOOKING_SMTP_URL": "http://mail"}, "SMTP_URL"),
        (
            {"HUB_BOOKING_ENV": "production", "HUB_BOOKING_DATABASE_URL": "postgresql://u@h/db"},
            "SECRET_KEY",
        ),
        ({"HUB_BOOKING_ENV": "production", "HUB_BOOKING_SECRET_KEY": "k" * 40}, "DATABASE_URL"),
        ({"HUB_BOOKING_SECRET_KEY": "short"}, "SECRET_KEY"),
    ],
)
def test_invalid_configuration_fails_naming_the_variable(tmp_path: Path, env, variable):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"HUB_BOOKING_VAR_DIR": str(tmp_path), **env})


def test_production_may_use_sqlite_when_explicitly_allowed():
    settings = Settings.from_env(
        {
            "HUB_BOOKING_ENV": "production",
            "HUB_BOOKING_SECRET_KEY": "k" * 40,
            "HUB_BOOKING_ALLOW_SQLITE_IN_PRODUCTION": "1",
        }
    )
    assert settings.production
    assert settings.is_sqlite
