"""/trouver: who offers a service in a commune, as the voice menu would route it; the directory as open data.

The associations listed are those `directory.routing.route` returns (hours aside: who serves the request
at all), so the page cannot promise one the helpline would not send the person to. Each shows what the
public may know: its service, hours, phones, fees and who it is for; never a staff note or the routing's
own fields (priority, rotation).
"""

from __future__ import annotations

import json

from flask import render_template, request
from flask.typing import ResponseReturnValue

from console.context import DirectoryNames, tz
from console.downloads import attachment
from console.finder import Found, commune_named, found_of
from console.public.blueprint import bp
from console.public.forms import OUTSIDE
from directory.hsds import export_hsds
from directory.models import Commune
from directory.routing import route
from directory.territory import name_key
from foundation.runtime import runtime

HSDS_FILE = "annuaire-hsds.json"


@bp.get("/trouver")
def find() -> ResponseReturnValue:
    """The search form, and once sent, the associations that serve this need in this commune."""
    category = request.args.get("service", "")
    commune_text = request.args.get("commune", "").strip()
    sent = "service" in request.args or "commune" in request.args
    with runtime().voice_reads() as db:
        names = DirectoryNames.load(db)
        groups = names.category_groups(db, blank="Choisissez un service")
        problem: str | None = None
        commune: Commune | None = None
        outside = False
        found: list[Found] | None = None
        if sent:
            if not category or category not in names.categories:
                problem = "Choisissez un service dans la liste."
            elif name_key(commune_text) == name_key(OUTSIDE):
                outside = True
            else:
                problem, commune = commune_named(db, commune_text)
            if problem is None and not outside:
                candidates = route(
                    db, category=category, commune_insee=commune.insee if commune else None, at=None, tz=tz()
                )
                found = [found_of(db, candidate) for candidate in candidates]
        page = render_template(
            "public/find.html",
            groups=groups,
            category=category,
            category_label=names.categories.get(category, ""),
            commune_text=commune_text,
            commune=commune,
            communes=[f"{c.name} ({c.postal_code})" for c in names.communes.values()],
            outside_word=OUTSIDE,
            outside=outside,
            problem=problem,
            found=found,
        )
        return page, 400 if problem else 200


@bp.get(f"/donnees/{HSDS_FILE}")
def hsds() -> ResponseReturnValue:
    """The directory in Open Referral's HSDS 3.0, as open data: what the public pages show, nothing more."""
    with runtime().voice_reads() as db:
        text = json.dumps(export_hsds(db, published=True), ensure_ascii=False, indent=2) + "\n"
    response = attachment(text, HSDS_FILE, "application/json")
    # Open data, the same for everyone: caches may keep it an hour (every other page says no-store).
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
