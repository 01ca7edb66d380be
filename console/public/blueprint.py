"""The public site's blueprint (its own module, so the pages' modules can import it)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
