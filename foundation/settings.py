"""Settings that come from the environment: where things are, and the secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The checkout the helpline runs from (an editable install): its config.yaml is the example one.
CHECKOUT = Path(__file__).resolve().parent.parent


def default_config_path(cwd: Path | None = None) -> Path:
    """config.yaml of the current directory if it has one, else the checkout's (the example config)."""
    here = (cwd or Path.cwd()) / "config.yaml"
    checkout = CHECKOUT / "config.yaml"
    return here if here.is_file() or not checkout.is_file() else checkout


class SettingsError(ValueError):
    """An environment variable holds a value the helpline cannot use; the message names it."""


def _seconds(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        between = f"{low:g} et {high:g}".replace(".", ",")
        raise SettingsError(
            f"{name} doit être un nombre de secondes entre {between} (valeur reçue : « {raw} »)"
        )
    return value


def _count(env: Mapping[str, str], name: str, default: int, *, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) > high:
        raise SettingsError(f"{name} doit être un nombre entier entre 0 et {high} (valeur reçue : « {raw} »)")
    return int(raw)


LOG_FORMATS = ("text", "json")


def _log_format(env: Mapping[str, str]) -> str:
    raw = env.get("HELPLINE_LOG_FORMAT", "").strip().lower() or "text"
    if raw not in LOG_FORMATS:
        raise SettingsError(
            f"HELPLINE_LOG_FORMAT doit valoir « text » ou « json » (valeur reçue : « {raw} »)"
        )
    return raw


def default_database_url(config_path: Path) -> str:
    """The embedded database: var/helpline.sqlite3 beside config.yaml, wherever the command is run from."""
    return f"sqlite:///{config_path.resolve().parent / 'var' / 'helpline.sqlite3'}"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the app needs besides config.yaml; secrets live only here."""

    config_path: Path = CHECKOUT / "config.yaml"
    database_url: str = default_database_url(CHECKOUT / "config.yaml")
    twilio_auth_token: str | None = None
    twilio_account_sid: str | None = None
    public_url: str | None = None
    skip_signature_check: bool = False
    caller_hash_secret: str | None = None
    secret_key: str | None = None
    smtp_password: str | None = None
    # The database time a voice webhook may spend in all; past it the caller goes on without the database.
    database_budget_s: float = 1.5
    # Where writes wait when the database cannot take them (None: beside the database, see journal_path).
    journal_dir: Path | None = None
    # How often a server process replays the journal into the database.
    journal_replay_s: float = 5.0
    # How many reverse proxies in front of the app add X-Forwarded-For/-Proto: the client's address and
    # the scheme are read from their headers only (0: straight from the connection; headers ignored).
    trusted_proxies: int = 0
    # How the server logs: "text" (gunicorn's access lines) or "json" (one JSON object a line).
    log_format: str = "text"
    # The bearer token /metrics asks for (None: no /metrics at all), and where each server process keeps
    # its counters and the alerts' claims, so that a scrape sums every process (None: see metrics_path).
    metrics_token: str | None = None
    metrics_dir: Path | None = None

    @property
    def caller_key_secret(self) -> str | None:
        """What keys callers' hashes: HELPLINE_CALLER_HASH_SECRET, else HELPLINE_SECRET_KEY, else nothing.

        Never anything kept in the database: whoever reads a copy of it cannot recompute the hashes.
        """
        return self.caller_hash_secret or self.secret_key

    def journal_path(self) -> Path:
        """The journal's directory: HELPLINE_JOURNAL_DIR, else beside the SQLite file, else beside config."""
        if self.journal_dir is not None:
            return self.journal_dir
        url = self.database_url
        if url.startswith("sqlite:///") and ":memory:" not in url:
            database = Path(url.removeprefix("sqlite:///").removeprefix("file:").split("?")[0])
            return database.parent / "journal"
        return self.config_path.resolve().parent / "var" / "journal"

    def metrics_path(self) -> Path:
        """The processes' counters: HELPLINE_METRICS_DIR, else `metrics/` beside the journal's directory."""
        return self.metrics_dir if self.metrics_dir is not None else self.journal_path().parent / "metrics"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read HELPLINE_* and TWILIO_AUTH_TOKEN from the environment."""
        env = os.environ if environ is None else environ
        config_path = Path(env["HELPLINE_CONFIG"]) if env.get("HELPLINE_CONFIG") else default_config_path()
        return cls(
            config_path=config_path,
            database_url=env.get("HELPLINE_DATABASE_URL") or default_database_url(config_path),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            public_url=(env.get("HELPLINE_PUBLIC_URL") or "").rstrip("/") or None,
            skip_signature_check=env.get("HELPLINE_DEV_SKIP_SIGNATURE", "") in {"1", "true", "yes"},
            caller_hash_secret=env.get("HELPLINE_CALLER_HASH_SECRET") or None,
            secret_key=env.get("HELPLINE_SECRET_KEY") or None,
            smtp_password=env.get("HELPLINE_SMTP_PASSWORD") or None,
            database_budget_s=_seconds(env, "HELPLINE_DB_BUDGET_S", 1.5, low=0.2, high=10),
            journal_dir=Path(env["HELPLINE_JOURNAL_DIR"]) if env.get("HELPLINE_JOURNAL_DIR") else None,
            journal_replay_s=_seconds(env, "HELPLINE_JOURNAL_REPLAY_S", 5.0, low=0.1, high=3600),
            trusted_proxies=_count(env, "HELPLINE_TRUSTED_PROXIES", 0, high=10),
            log_format=_log_format(env),
            metrics_token=env.get("HELPLINE_METRICS_TOKEN") or None,
            metrics_dir=Path(env["HELPLINE_METRICS_DIR"]) if env.get("HELPLINE_METRICS_DIR") else None,
        )
