"""The directory's front page: associations searched by name and filtered by category, commune and state."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from console.directory_pages.choices import STATUSES, categories, communes
from directory.storage import load_associations
from directory.territory import name_key
from foundation.runtime import runtime


def index() -> ResponseReturnValue:
    """Associations, searched by name (accents aside) and filtered by category, commune and state."""
    query = request.args.get("q", "").strip()
    category = request.args.get("category", "")
    commune = request.args.get("commune", "")
    state = request.args.get("state", "")
    with runtime().sessions() as db:
        associations = load_associations(db)
        all_categories = categories(db)
        all_communes = communes(db)
        key = name_key(query)
        found = [
            a
            for a in associations
            if (not key or key in name_key(a.name))
            and (
                not category or any(category in (s.category_code, s.category.parent_code) for s in a.services)
            )
            and (not commune or any(commune in s.commune_codes for s in a.services))
            and (not state or a.active == (state == "active"))
        ]
        return render_template(
            "console/directory/index.html",
            associations=found,
            total=len(associations),
            query=query,
            category=category,
            commune=commune,
            state=state,
            categories=all_categories,
            communes=all_communes,
            statuses=STATUSES,
            all_communes=len(all_communes),
        )
