"""The calendar: weekly opening hours (split days), public holidays, and exceptional closures.

Hours are read as people write them (« 9h-12h30 14h-17h », « fermé »), as in the directory. A closure is
found by what it was (dates and reason), not by its place in the list, so that two people editing at once
never change the wrong one. Past closures are kept for the record and shown apart.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from console.context import now, tz
from console.settings_pages.state import Refused, apply, replace_in, settings_now
from directory.values import format_span, parse_date, parse_ranges
from foundation.config.values import DAY_NAMES_FR, DAYS
from ivr.hours import coming_holidays

CLOSURE_FIELDS = ("start", "end", "reason", "message")


def calendar() -> ResponseReturnValue:
    """The weekly hours, the holidays and the closures, each with its form."""
    return _render()


def _render(
    *,
    hours: dict[str, str] | None = None,
    closure: dict[str, str] | None = None,
    typed: dict[str, dict[str, str]] | None = None,
    errors: Any = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The page; `hours`, `closure` (a new one) and `typed` (closures by fingerprint) as just typed."""
    config = settings_now().config
    today = now().astimezone(tz()).date()
    written = {
        day: " ".join(str(span.model_dump()) for span in config.hours.for_weekday(index)) or "fermé"
        for index, day in enumerate(DAYS)
    }
    closures = list(config.calendar.closures)
    return (
        render_template(
            "console/settings/calendar.html",
            days=list(zip(DAYS, DAY_NAMES_FR, strict=True)),
            hours={**written, **(hours or {})},
            closed_on_holidays=config.calendar.closed_on_holidays,
            holidays=coming_holidays(config.calendar.holidays_country, today),
            coming=[c for c in closures if c.end >= today],
            past=sorted((c for c in closures if c.end < today), key=lambda c: c.start, reverse=True),
            new=closure or {},
            typed=typed or {},
            errors=errors or {},
            fingerprint=fingerprint,
        ),
        status,
    )


def save_hours() -> ResponseReturnValue:
    """The weekly hours, one field a day."""
    typed = {day: request.form.get(day, "").strip() for day in DAYS}
    errors: dict[str, list[str]] = {}
    week: dict[str, list[str]] = {}
    for index, day in enumerate(DAYS):
        try:
            week[day] = [format_span(entry) for entry in parse_ranges(index, typed[day])]
        except ValueError as wrong:
            errors[day] = [f"{DAY_NAMES_FR[index].capitalize()} : {wrong}."]
    if errors:
        return _render(hours=typed, errors=errors, status=400)
    result = apply(lambda document: document.update(hours=week), "Horaires d'ouverture")
    if isinstance(result, Refused):
        return _render(hours=typed, errors={day: result.at(f"hours.{day}") for day in DAYS}, status=400)
    flash("Horaires enregistrés : ils valent dès le prochain appel.", "success")
    return redirect(url_for("console.settings.calendar") + "#hours")


def save_holidays() -> ResponseReturnValue:
    """Whether the line closes on public holidays."""
    closed = request.form.get("closed_on_holidays") == "1"
    result = apply(
        lambda document: document["calendar"].update(closed_on_holidays=closed),
        "Jours fériés : " + ("ligne fermée" if closed else "ligne ouverte selon les horaires"),
    )
    if isinstance(result, Refused):
        return _render(errors={"holidays": [line for _, line in result.problems]}, status=400)
    flash(
        "Jours fériés : la ligne est " + ("fermée." if closed else "ouverte selon ses horaires."), "success"
    )
    return redirect(url_for("console.settings.calendar") + "#holidays")


def fingerprint(closure: Any) -> str:
    """What identifies a closure in a form: its dates and its reason, as they were."""
    return f"{closure.start}|{closure.end}|{closure.reason}"


def _fingerprint_of(closure: dict[str, Any]) -> str:
    """The fingerprint of a closure of the settings document."""
    return f"{closure['start']}|{closure['end']}|{closure['reason']}"


def _typed_closure() -> tuple[dict[str, str], dict[str, Any] | None, dict[str, list[str]]]:
    typed = {name: request.form.get(name, "").strip() for name in CLOSURE_FIELDS}
    errors: dict[str, list[str]] = {}
    dates: dict[str, date] = {}
    for name, words in (("start", "Début"), ("end", "Fin")):
        try:
            dates[name] = parse_date(typed[name])
        except ValueError as wrong:
            errors[name] = [f"{words} : {wrong}."]
    for name, words in (("reason", "Motif"), ("message", "Message")):
        if not typed[name]:
            errors[name] = [f"{words} : obligatoire."]
    if errors:
        return typed, None, errors
    closure = {**typed, "start": dates["start"].isoformat(), "end": dates["end"].isoformat()}
    closure["message"] = " ".join(typed["message"].split())
    return typed, closure, {}


def _closure_errors(refused: Refused, index: int) -> dict[str, list[str]]:
    errors = {name: refused.at(f"calendar.closures[{index}].{name}") for name in CLOSURE_FIELDS}
    # A closure that ends before it starts is refused as a whole: say it at its end.
    errors["end"] = [*errors["end"], *refused.at(f"calendar.closures[{index}]")]
    return {name: lines for name, lines in errors.items() if lines}


def add_closure() -> ResponseReturnValue:
    """A new exceptional closure."""
    typed, closure, errors = _typed_closure()
    if closure is None:
        return _render(closure=typed, errors={"new": errors}, status=400)
    added: list[int] = []

    def edit(document: dict[str, Any]) -> None:
        closures = document["calendar"].setdefault("closures", [])
        added.append(len(closures))
        closures.append(closure)

    result = apply(edit, f"Fermeture ajoutée : {closure['reason']} ({_period(closure)})")
    if isinstance(result, Refused):
        return _render(closure=typed, errors={"new": _closure_errors(result, added[0])}, status=400)
    flash(f"Fermeture ajoutée : {closure['reason']}, {_period(closure)}.", "success")
    return redirect(url_for("console.settings.calendar") + "#closures")


def change_closure() -> ResponseReturnValue:
    """Change or remove an exceptional closure (found by what it was)."""
    was = request.form.get("was", "")
    removing = request.form.get("remove") == "1"
    typed, closure, errors = ({}, None, {}) if removing else _typed_closure()
    if not removing and closure is None:
        return _render(typed={was: typed}, errors={was: errors}, status=400)
    found: list[int] = []

    def edit(document: dict[str, Any]) -> None:
        closures = document["calendar"].get("closures", [])
        found.append(replace_in(closures, lambda old: _fingerprint_of(old) == was, closure))

    try:
        result = apply(
            edit, ("Fermeture retirée : " if removing else "Fermeture modifiée : ") + was.split("|")[-1]
        )
    except LookupError:
        flash("Cette fermeture a été modifiée ou retirée entre-temps : voici le calendrier à jour.", "error")
        return redirect(url_for("console.settings.calendar") + "#closures")
    if isinstance(result, Refused):
        return _render(typed={was: typed}, errors={was: _closure_errors(result, found[0])}, status=400)
    flash("Fermeture retirée." if removing else "Fermeture modifiée.", "success")
    return redirect(url_for("console.settings.calendar") + "#closures")


def _period(closure: dict[str, Any]) -> str:
    start, end = date.fromisoformat(closure["start"]), date.fromisoformat(closure["end"])
    return f"le {start:%d/%m/%Y}" if start == end else f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
