"""The public site's front page, and what every public page shows: the helpline's name and number."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from console.public.blueprint import bp
from foundation.runtime import runtime


@bp.app_context_processor
def helpline_contact() -> dict[str, object]:
    """The helpline's name and number (shown, and dialled as a tel: link) for the public pages' header."""
    helpline = runtime().config.helpline
    return {"helpline_name": helpline.name, "helpline_number": helpline.number}


@bp.get("/accueil")
def home() -> ResponseReturnValue:
    """What the helpline does, its number, and the ways in that do not need a phone call."""
    return render_template("public/home.html")
