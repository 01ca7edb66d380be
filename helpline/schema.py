"""Every table of the helpline, for Alembic and for tests: importing this registers all models."""

from __future__ import annotations

import call_log.models
import console.accounts
import directory.models
import ivr.models
import reports.models
from foundation.db import Base

__all__ = ["Base", "call_log", "console", "directory", "ivr", "reports"]

metadata = Base.metadata
