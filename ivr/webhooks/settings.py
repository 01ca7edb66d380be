"""What this request's call hears: the staff's settings, read through a version check within the budget.

Every voice webhook reads the newest settings version's number (one indexed read, within its database
budget); the settings themselves are compiled once per process and version (`EffectiveCache`). When the
number cannot be read in time, or the settings cannot be loaded, the call hears the last good settings:
the database being slow never keeps a caller waiting, and a change reaches every process by the next call.
"""

from __future__ import annotations

import dataclasses
import logging

from flask import Flask, current_app, g

from foundation.gate import DatabaseUnavailableError
from foundation.runtime import Runtime, runtime
from ivr.flow import Flow
from ivr.staff_settings import Effective, EffectiveCache, head
from ivr.webhooks.events import read_database

logger = logging.getLogger(__name__)


def settings_cache() -> EffectiveCache:
    """The process's compiled settings (see `init_app`)."""
    found: EffectiveCache = current_app.extensions["ivr.settings"]
    return found


def warm(app: Flask) -> None:
    """Load what calls hear once when a server process starts, so that its first calls compile nothing.

    A read-only, budgeted read; if the database cannot answer now, the first call loads it instead.
    """
    cache: EffectiveCache = app.extensions["ivr.settings"]
    rt: Runtime = app.extensions["helpline"]
    try:
        with rt.voice_reads() as session, session.begin():
            cache.get(head(session), lambda: cache.load(session))
    except Exception:
        logger.warning("Could not load the settings at start; the first call will", exc_info=True)


def live() -> Effective:
    """The settings of this request: read once per request, the last good ones if they cannot be."""
    found: Effective | None = g.get("staff_settings")
    if found is None and "settings_head" in g:
        found = settled(g.settings_head)  # read by this request's write (events.log_event)
    if found is None:
        try:
            number = read_database(head)
        except DatabaseUnavailableError as unavailable:
            logger.warning("Could not read the settings' version (%s); the last ones apply", unavailable)
            return known()
        except Exception:
            logger.exception("Could not read the settings' version; the last known ones apply")
            return known()
        found = settled(number)
    return found


def settled(number: int | None) -> Effective:
    """The settings for newest version `number` (read with something else), kept for the request."""
    cache = settings_cache()
    try:
        found = cache.get(number, lambda: read_database(cache.load))
    except Exception:
        logger.exception("Could not load settings version %s; the last known ones apply", number)
        found = cache.last()
    g.staff_settings = found
    return found


def known() -> Effective:
    """The settings last loaded by this process, without reading anything (for answers that must not wait)."""
    found: Effective = g.get("staff_settings") or settings_cache().last()
    g.staff_settings = found
    return found


def voice_runtime() -> Runtime:
    """The app's runtime with this request's settings as its config."""
    return dataclasses.replace(runtime(), config=live().config)


def known_runtime() -> Runtime:
    """The app's runtime with the last known settings, read from nothing."""
    return dataclasses.replace(runtime(), config=known().config)


def flow() -> Flow:
    """The voice journey of this request's settings."""
    return live().flow
