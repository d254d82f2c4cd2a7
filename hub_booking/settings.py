"""Settings: the only reader of ``os.environ``. Typed, validated, failing loudly at start."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hub_booking.zones import is_valid_zone

LANGUAGES = ("ar", "fr", "en")
PREFIX = "HUB_BOOKING_"

# Piccolo's migration machinery finds the engine through this module; pointing it at ours
# here (the one place that touches the environment) keeps `piccolo` commands working too.
os.environ.setdefault("PICCOLO_CONF", "hub_booking.piccolo_conf")


class SettingsError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/hub_booking.sqlite3"
    secret_key: str = field(default="", repr=False)
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    timezone: str = "Africa/Casablanca"
    language: str = "fr"
    scheduler: bool = True
    env: str = "development"
    allow_sqlite_in_production: bool = False
    var_dir: Path = Path("var")
    # Peers whose X-Forwarded-For is believed (IPs or CIDRs); empty: the peer is the client.
    trusted_proxies: tuple[str, ...] = ()
    # How long a slot freed for the first waiting association is kept for it (waitlist).
    waitlist_hold_hours: int = 12

    def __post_init__(self) -> None:
        _check_database_url(self.database_url)
        _check_networks(self.trusted_proxies)
        if not is_valid_zone(self.timezone):
            raise SettingsError(f"{PREFIX}TIMEZONE: unknown IANA time zone {self.timezone!r}")
        if self.language not in LANGUAGES:
            raise SettingsError(f"{PREFIX}LANGUAGE: must be one of {', '.join(LANGUAGES)}")
        if self.env not in ("development", "production"):
            raise SettingsError(f"{PREFIX}ENV: must be development or production")
        if self.smtp_url and urlsplit(self.smtp_url).scheme not in (
            "smtp",
            "smtp+starttls",
            "smtps",
        ):
            raise SettingsError(f"{PREFIX}SMTP_URL: scheme must be smtp, smtp+starttls or smtps")
        if self.production:
            if not self.secret_key:
                raise SettingsError(f"{PREFIX}SECRET_KEY is required in production")
            if self.is_sqlite and not self.allow_sqlite_in_production:
                raise SettingsError(
                    f"{PREFIX}DATABASE_URL: SQLite in production needs "
                    f"{PREFIX}ALLOW_SQLITE_IN_PRODUCTION=1"
                )
        if not 1 <= self.waitlist_hold_hours <= 168:
            raise SettingsError(f"{PREFIX}WAITLIST_HOLD_HOURS: a whole number of hours, 1 to 168")
        if self.secret_key and len(self.secret_key) < 32:
            raise SettingsError(f"{PREFIX}SECRET_KEY must be at least 32 characters")

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read settings from the environment; generates the local secret key if needed."""
        env = dict(os.environ if environ is None else environ)

        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(PREFIX + name, "").strip()
            return value or default

        var_dir = Path(get("VAR_DIR", "var") or "var")
        mode = get("ENV", "development") or "development"
        secret = get("SECRET_KEY")
        if not secret and mode != "production":
            secret = _local_secret(var_dir)
        return cls(
            database_url=get("DATABASE_URL", cls.database_url) or cls.database_url,
            secret_key=secret or "",
            base_url=(get("BASE_URL", cls.base_url) or cls.base_url).rstrip("/"),
            smtp_url=get("SMTP_URL"),
            timezone=get("TIMEZONE", cls.timezone) or cls.timezone,
            language=get("LANGUAGE", cls.language) or cls.language,
            scheduler=_flag("SCHEDULER", get("SCHEDULER", "on") or "on"),
            env=mode,
            allow_sqlite_in_production=_flag(
                "ALLOW_SQLITE_IN_PRODUCTION", get("ALLOW_SQLITE_IN_PRODUCTION", "0") or "0"
            ),
            var_dir=var_dir,
            trusted_proxies=tuple(
                part.strip() for part in (get("TRUSTED_PROXIES") or "").split(",") if part.strip()
            ),
            waitlist_hold_hours=_hours("WAITLIST_HOLD_HOURS", get("WAITLIST_HOLD_HOURS", "12")),
        )


def database_url_from_env() -> str:
    """Only the database URL (for ``piccolo_conf``, which must not need the other settings)."""
    return os.environ.get(PREFIX + "DATABASE_URL", "").strip() or Settings.database_url


def _flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("on", "1", "true", "yes"):
        return True
    if lowered in ("off", "0", "false", "no"):
        return False
    raise SettingsError(f"{PREFIX}{name}: expected on or off, got {value!r}")


def _hours(name: str, value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}: expected a whole number of hours") from None


def _check_networks(networks: tuple[str, ...]) -> None:
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise SettingsError(
                f"{PREFIX}TRUSTED_PROXIES: {network!r} is not an IP address or CIDR network"
            ) from None


def _check_database_url(url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or url == "sqlite:///":
            raise SettingsError(f"{PREFIX}DATABASE_URL: expected sqlite:///path/to/file.sqlite3")
        return
    if scheme in ("postgresql", "postgres"):
        if not urlsplit(url).path.strip("/"):
            raise SettingsError(f"{PREFIX}DATABASE_URL: the PostgreSQL URL needs a database name")
        return
    raise SettingsError(f"{PREFIX}DATABASE_URL: expected a sqlite:/// or postgresql:// URL")


def _local_secret(var_dir: Path) -> str:
    """The development secret, generated once into var/secret_key (git-ignored)."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret
