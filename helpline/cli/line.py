"""`helpline line`: see whether the line is open, and force it open or closed without a restart."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from helpline.startup import fail, settings_and_config

if TYPE_CHECKING:
    from ivr.hours import Override


@click.group()
def line() -> None:
    """Opening of the line: its status now, and the staff's override."""


def _until(value: str | None, tz_name: str) -> datetime | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date and time like 2026-12-24T18:00", param_hint="--until"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz_name))


@line.command("status")
def status() -> None:
    """Say whether the line is open now, and why."""
    from foundation.clock import system_clock
    from helpline.db import make_engine, make_session_factory
    from ivr.hours import describe_hours, line_status
    from ivr.line import current_override

    settings, config = settings_and_config()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            override = current_override(session)
    except Exception as exc:  # the database may be missing: say so, like the other commands
        fail(f"cannot read the line's settings ({exc.__class__.__name__}); run 'helpline db upgrade'")
    finally:
        engine.dispose()
    now = system_clock()
    found = line_status(config, now, override=override)
    state = "open" if found.open else f"closed ({found.reason})"
    click.echo(f"The line is {state}. Hours: {describe_hours(config.hours)}.")
    if override is not None and override.active(now):
        until = (
            f" until {override.until.astimezone(config.helpline.tz):%Y-%m-%d %H:%M}" if override.until else ""
        )
        click.echo(f"Staff override: {override.mode}{until}.")
    if found.reopens_at is not None:
        click.echo(f"Reopens at {found.reopens_at.astimezone(config.helpline.tz):%Y-%m-%d %H:%M}.")


def _set(override: Override | None, by: str) -> None:
    from foundation.clock import system_clock
    from foundation.db import transaction
    from helpline.db import make_engine, make_session_factory
    from ivr.line import set_override

    settings, _config = settings_and_config()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            set_override(session, override, by=by, now=system_clock())
    except Exception as exc:
        fail(f"cannot save the line's settings ({exc.__class__.__name__}); run 'helpline db upgrade'")
    finally:
        engine.dispose()


@line.command("open")
@click.option("--until", help="Local date and time when the override ends, e.g. 2026-12-24T18:00.")
@click.option("--by", default="cli", show_default=True, help="Who sets it (kept with the setting).")
def force_open(until: str | None, by: str) -> None:
    """Open the line now, whatever the hours say."""
    from ivr.hours import Override

    _settings, config = settings_and_config()
    _set(Override("open", _until(until, config.helpline.timezone)), by)
    click.echo("The line is open" + (f" until {until}." if until else " until 'helpline line auto'."))


@line.command("close")
@click.option("--until", help="Local date and time when the override ends, e.g. 2026-12-24T18:00.")
@click.option("--message", default="", help="What callers hear instead of the usual closed message.")
@click.option("--by", default="cli", show_default=True, help="Who sets it (kept with the setting).")
def force_closed(until: str | None, message: str, by: str) -> None:
    """Close the line now: callers hear it is closed and can leave a message."""
    from ivr.hours import Override

    _settings, config = settings_and_config()
    _set(Override("closed", _until(until, config.helpline.timezone), message), by)
    click.echo("The line is closed" + (f" until {until}." if until else " until 'helpline line auto'."))


@line.command("auto")
@click.option("--by", default="cli", show_default=True, help="Who sets it (kept with the setting).")
def automatic(by: str) -> None:
    """Lift any override: the hours, holidays and closures of config.yaml decide again."""
    _set(None, by)
    click.echo("The line follows its hours again.")
