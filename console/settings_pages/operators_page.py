"""Who rings: the operators' phones, their names, the console account of who answers each, and who is on duty.

Staff change the list; an operator takes their own phone off duty and back from the duty page
(`console.duty`). A phone is found by its number as it was, so that two people
editing at once never change the wrong one. With no phone on duty, calls during opening hours go to the
voicemail: every page says so (see `nobody_on_duty`).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from console.access import current_user_or_none
from console.accounts import list_users
from console.context import effective
from console.forms import e164
from console.settings_pages.state import Refused, apply, replace_in, settings_now
from foundation.config.staff import on_duty
from foundation.runtime import runtime

logger = logging.getLogger(__name__)
OPERATOR_FIELDS = ("name", "phone", "account")


def nobody_on_duty() -> bool:
    """Whether no operator's phone would ring now (shown on every page to signed-in users)."""
    if current_user_or_none() is None:
        return False
    try:
        # A read-only, budgeted read: the page may hold a transaction of its own (SQLite's write lock).
        with runtime().voice_reads() as session:
            return not on_duty(effective(session).config)
    except Exception:
        logger.warning("Could not read who is on duty for the banner", exc_info=True)
        return False


def _accounts() -> dict[str, str]:
    with runtime().sessions() as session:
        return {
            user.username: f"{user.display_name} ({user.username})"
            for user in list_users(session)
            if user.active
        }


def operators() -> ResponseReturnValue:
    """The phones that ring, each with its form, and the form to add one."""
    return _render()


def _render(
    *, typed: dict[str, dict[str, str]] | None = None, errors: Any = None, status: int = 200
) -> ResponseReturnValue:
    config = settings_now().config
    return (
        render_template(
            "console/settings/operators.html",
            operators=config.operators,
            accounts=_accounts(),
            typed=typed or {},
            errors=errors or {},
        ),
        status,
    )


def _typed() -> tuple[dict[str, str], dict[str, Any] | None, dict[str, list[str]]]:
    typed = {name: request.form.get(name, "").strip() for name in OPERATOR_FIELDS}
    errors: dict[str, list[str]] = {}
    phone = e164(typed["phone"])
    if not typed["name"]:
        errors["name"] = ["Nom : obligatoire (il est dit à l'appelant qui attend)."]
    if phone is None:
        errors["phone"] = [
            f"Numéro : « {typed['phone']} » n'est pas un numéro de téléphone, comme 02 61 91 10 01."
        ]
    if typed["account"] and typed["account"] not in _accounts():
        errors["account"] = ["Compte : ce compte n'existe pas ou est désactivé."]
    if errors:
        return typed, None, errors
    return (
        typed,
        {"name": " ".join(typed["name"].split()), "phone": phone, "account": typed["account"] or None},
        {},
    )


def _refused_at(refused: Refused, index: int) -> dict[str, list[str]]:
    errors = {name: refused.at(f"operators[{index}].{name}") for name in OPERATOR_FIELDS}
    errors["name"] = (
        [*errors["name"], *refused.at("operators")] if not any(errors.values()) else errors["name"]
    )
    return {name: lines for name, lines in errors.items() if lines}


def add_operator() -> ResponseReturnValue:
    """A new phone that rings, on duty."""
    typed, entry, errors = _typed()
    if entry is None:
        return _render(typed={"new": typed}, errors={"new": errors}, status=400)

    def edit(document: dict[str, Any]) -> None:
        if any(old["phone"] == entry["phone"] for old in document["operators"]):
            raise LookupError(entry["phone"])
        document["operators"].append({**entry, "on_duty": True})

    try:
        result = apply(edit, f"Téléphone ajouté : {entry['name']}")
    except LookupError:
        errors = {"phone": ["Numéro : ce téléphone sonne déjà."]}
        return _render(typed={"new": typed}, errors={"new": errors}, status=400)
    if isinstance(result, Refused):
        return _render(typed={"new": typed}, errors={"new": _refused_at(result, -1)}, status=400)
    flash(f"{entry['name']} sonne désormais pour les appels vers les opérateurs.", "success")
    return redirect(url_for("console.settings.operators"))


def change_operator() -> ResponseReturnValue:
    """Change a phone's name, number or account, or remove it (found by its number as it was)."""
    was = request.form.get("was", "")
    removing = request.form.get("remove") == "1"
    typed, entry, errors = ({}, None, {}) if removing else _typed()
    if not removing and entry is None:
        return _render(typed={was: typed}, errors={was: errors}, status=400)
    where: list[int] = []

    def edit(document: dict[str, Any]) -> None:
        where.append(replace_in(document["operators"], lambda old: old["phone"] == was, entry))

    try:
        result = apply(edit, ("Téléphone retiré : " if removing else "Téléphone modifié : ") + was)
    except LookupError:
        flash("Ce téléphone a été modifié ou retiré entre-temps : voici la liste à jour.", "error")
        return redirect(url_for("console.settings.operators"))
    if isinstance(result, Refused):
        found = _refused_at(result, where[0]) if not removing else {}
        if removing:
            flash("Téléphone non retiré : il faut au moins un téléphone d'opérateur.", "error")
        return _render(typed={was: typed}, errors={was: found}, status=400)
    flash("Téléphone retiré." if removing else "Téléphone modifié.", "success")
    return redirect(url_for("console.settings.operators"))
