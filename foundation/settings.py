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
        )
