"""The directory in the console (staff): find associations, edit them and their services, see the gaps.

Each save builds the association's new entry from the form (messages in French), then
`directory.editing.save_entry` writes it and records the change with the signed-in user. Routing reads
the database on every call, so a change counts from the next call.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.access import current_account
from console.context import now
from directory.audit import changed_fields, history
from directory.coverage import coverage_matrix, matrix_csv
from directory.editing import DirectoryError, save_entry
from directory.entries import AssociationEntry, ClosureEntry, HoursEntry, PhoneEntry, ServiceEntry, Vocabulary
from directory.files import write
from directory.hsds import export_hsds
from directory.models import SERVICE_STATUSES, Association, Commune, ServiceCategory
from directory.storage import entry_of, load_associations
from directory.territory import name_key
from directory.values import (
    format_span,
    parse_date,
    parse_email,
    parse_name,
    parse_phone,
    parse_postal_code,
    parse_priority,
    parse_ranges,
    parse_text,
    parse_website,
)
from foundation.config import DAYS
from foundation.db import transaction
from foundation.runtime import runtime

bp = Blueprint("directory", __name__, url_prefix="/directory")

DAY_NAMES = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
STATUSES = {"active": "Actif", "inactive": "Inactif", "temporarily_closed": "Fermé temporairement"}
FIELD_NAMES = {
    "name": "Nom",
    "active": "Active",
    "priority": "Priorité",
    "description": "Description",
    "email": "Courriel",
    "website": "Site web",
    "address": "Adresse",
    "notes": "Notes",
    "phones": "Téléphones",
    "hours": "Horaires",
    "closures": "Fermetures",
    "services": "Services",
}
# Blank rows offered after the existing ones, to add phones and closures.
_NEW_ROWS = 2

Errors = dict[str, str]


class _Form:
    """The submitted form, read field by field with the directory's checks and French messages."""

    def __init__(self, data: Mapping[str, str]) -> None:
        self.data = data
        self.errors: Errors = {}

    def get(self, name: str) -> str:
        return self.data.get(name, "").strip()

    def check(self, name: str, parse: Callable[[str], Any], message: str, default: Any = "") -> Any:
        try:
            return parse(self.get(name))
        except ValueError:
            self.errors[name] = message
            return default

    def phones(self) -> tuple[PhoneEntry, ...]:
        phones = []
        ivr = self.get("ivr")
        for index in range(self._rows("phone")):
            number = self.get(f"phone-{index}-number")
            if not number:
                continue
            parsed = self.check(
                f"phone-{index}-number",
                parse_phone,
                f"Numéro invalide : « {number} » (écrivez par exemple +33 2 61 91 00 00 ou 02 61 91 00 00).",
            )
            description = self.check(
                f"phone-{index}-description",
                lambda v: parse_text(v, max_length=200, one_line=True),
                "La description tient sur une ligne, sans point-virgule (200 caractères au plus).",
            )
            phones.append(PhoneEntry(parsed, description, ivr == str(index)))
        return tuple(phones)

    def hours(self) -> tuple[HoursEntry, ...]:
        hours: list[HoursEntry] = []
        for weekday, day in enumerate(DAYS):
            try:
                hours += parse_ranges(weekday, self.get(f"hours-{day}") or None)
            except ValueError:
                self.errors[f"hours-{day}"] = (
                    f"Horaires du {DAY_NAMES[weekday].lower()} invalides : écrivez par exemple "
                    "« 09:00-12:30 13:30-17:30 », sans chevauchement."
                )
        return tuple(hours)

    def closures(self) -> tuple[ClosureEntry, ...]:
        closures = []
        for index in range(self._rows("closure")):
            if not self.get(f"closure-{index}-from"):
                continue
            starts = self.check(f"closure-{index}-from", parse_date, "Date invalide.", None)
            ends = (
                self.check(f"closure-{index}-to", parse_date, "Date invalide.", None)
                if self.get(f"closure-{index}-to")
                else starts
            )
            reason = self.check(
                f"closure-{index}-reason",
                lambda v: parse_text(v, max_length=200, one_line=True),
                "Le motif tient sur une ligne, sans point-virgule (200 caractères au plus).",
            )
            if starts and ends and ends < starts:
                self.errors[f"closure-{index}-to"] = "La fermeture finit avant de commencer."
            elif starts and ends:
                closures.append(ClosureEntry(starts, ends, reason))
        return tuple(sorted(closures, key=lambda c: (c.starts_on, c.ends_on)))

    def _rows(self, prefix: str) -> int:
        return int(self.get(f"{prefix}-rows") or 0) if self.get(f"{prefix}-rows").isdigit() else 0


def _general(entry: AssociationEntry, form: _Form) -> AssociationEntry:
    return replace(
        entry,
        name=form.check("name", parse_name, "Le nom est obligatoire (200 caractères au plus)."),
        active=form.get("active") == "1",
        priority=form.check(
            "priority",
            parse_priority,
            "La priorité est un nombre entier, 0 ou plus (la plus petite est proposée en premier).",
            100,
        ),
        description=form.get("description"),
        email=form.check("email", parse_email, "Adresse de courriel invalide (ex. contact@exemple.fr)."),
        website=form.check("website", parse_website, "Adresse web invalide : elle commence par https://."),
        street_address=form.check(
            "street_address", lambda v: parse_text(v, max_length=200), "Adresse trop longue."
        ),
        postal_code=form.check("postal_code", parse_postal_code, "Code postal invalide (5 chiffres)."),
        city=form.check("city", lambda v: parse_text(v, max_length=100), "Commune trop longue."),
        notes=form.get("notes"),
    )


def _service_general(service: ServiceEntry, form: _Form, vocabulary: Vocabulary) -> ServiceEntry:
    category = form.get("category")
    if category not in vocabulary.categories:
        form.errors["category"] = "Choisissez une catégorie."
    status = form.get("status")
    if status not in SERVICE_STATUSES:
        form.errors["status"] = "Choisissez un état."
    # A service is named after its category unless named otherwise.
    name = form.get("name") or vocabulary.categories.get(category, "")
    try:
        name = parse_name(name)
    except ValueError:
        form.errors["name"] = "Le nom est obligatoire (200 caractères au plus)."
    return replace(
        service,
        name=name,
        category=category,
        status=status,
        description=form.get("description"),
        fees=form.get("fees"),
        eligibility=form.get("eligibility"),
    )


def _coverage(form: _Form, vocabulary: Vocabulary) -> tuple[str, ...]:
    if form.get("all") == "1":
        return tuple(sorted(vocabulary.communes))
    chosen = set(request.form.getlist("commune")) & vocabulary.communes
    return tuple(sorted(chosen))


# --- pages -----------------------------------------------------------------------------------------------


@bp.get("")
def index() -> ResponseReturnValue:
    """Associations, searched by name (accents aside) and filtered by category, commune and state."""
    query = request.args.get("q", "").strip()
    category = request.args.get("category", "")
    commune = request.args.get("commune", "")
    state = request.args.get("state", "")
    with runtime().sessions() as db:
        associations = load_associations(db)
        categories = _categories(db)
        communes = _communes(db)
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
            categories=categories,
            communes=communes,
            statuses=STATUSES,
            all_communes=len(communes),
        )


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """Add an association (its phones, hours and services come next, on its page)."""
    if request.method == "GET":
        return render_template("console/directory/new.html", entry=AssociationEntry(name=""), errors={})
    form = _Form(request.form)
    entry = _general(AssociationEntry(name=""), form)
    with transaction(runtime().sessions) as db:
        if not form.errors:
            try:
                association = _save(db, entry, None)
            except DirectoryError:
                form.errors["name"] = "Une autre association porte déjà ce nom."
        if form.errors:
            return render_template("console/directory/new.html", entry=entry, errors=form.errors), 400
        association_id = association.id
    flash(f"Association « {entry.name} » créée. Ajoutez ses téléphones et ses services.", "success")
    return redirect(url_for("console.directory.view", association_id=association_id))


@bp.get("/<int:association_id>")
def view(association_id: int) -> ResponseReturnValue:
    """An association: its details, phones, hours, closures, services and change history."""
    with runtime().sessions() as db:
        association = _association(db, association_id)
        return _page(db, association, entry_of(association), {}, section=None)


@bp.post("/<int:association_id>")
def save(association_id: int) -> ResponseReturnValue:
    """Save one section of the association's page: general, phones, hours or closures."""
    section = request.form.get("section", "")
    form = _Form(request.form)
    with transaction(runtime().sessions) as db:
        association = _association(db, association_id)
        entry = entry_of(association)
        if section == "general":
            changed = _general(entry, form)
        elif section == "phones":
            changed = replace(entry, phones=form.phones())
        elif section == "hours":
            changed = replace(entry, hours=form.hours())
        elif section == "closures":
            changed = replace(entry, closures=form.closures())
        else:
            abort(400)
        if not form.errors:
            try:
                _save(db, changed, association)
            except DirectoryError:
                form.errors["name"] = "Une autre association porte déjà ce nom."
        if form.errors:
            return _page(db, association, entry, form.errors, section=section), 400
    _flash_saved(changed != entry)
    return redirect(url_for("console.directory.view", association_id=association_id, _anchor=section))


@bp.route("/<int:association_id>/services/new", methods=["GET", "POST"])
def new_service(association_id: int) -> ResponseReturnValue:
    """Add a service to an association: what it offers, where, in which state."""
    service = ServiceEntry(name="", category="")
    if request.method == "GET":
        with runtime().sessions() as db:
            return _service_page(db, _association(db, association_id), service, None, {}, section=None)
    with transaction(runtime().sessions) as db:
        association = _association(db, association_id)
        entry = entry_of(association)
        vocabulary = Vocabulary.load(db)
        form = _Form(request.form)
        service = replace(_service_general(service, form, vocabulary), communes=_coverage(form, vocabulary))
        if any(other.name == service.name for other in entry.services):
            form.errors["name"] = "L'association a déjà un service de ce nom."
        if form.errors:
            return _service_page(db, association, service, None, form.errors, section="general"), 400
        _save(db, replace(entry, services=(*entry.services, service)), association)
        service_id = _service_id(association, service.name)
    flash(f"Service « {service.name} » ajouté.", "success")
    return redirect(
        url_for("console.directory.service", association_id=association_id, service_id=service_id)
    )


@bp.get("/<int:association_id>/services/<int:service_id>")
def service(association_id: int, service_id: int) -> ResponseReturnValue:
    """A service: what it offers, its state, coverage, phones, hours and closures."""
    with runtime().sessions() as db:
        association = _association(db, association_id)
        current = _service_entry(association, service_id)
        return _service_page(db, association, current, service_id, {}, section=None)


@bp.post("/<int:association_id>/services/<int:service_id>")
def save_service(association_id: int, service_id: int) -> ResponseReturnValue:
    """Save one section of a service's page: general, coverage, phones, hours or closures."""
    section = request.form.get("section", "")
    form = _Form(request.form)
    with transaction(runtime().sessions) as db:
        association = _association(db, association_id)
        entry = entry_of(association)
        current = _service_entry(association, service_id)
        vocabulary = Vocabulary.load(db)
        if section == "general":
            changed = _service_general(current, form, vocabulary)
            if changed.name != current.name and any(s.name == changed.name for s in entry.services):
                form.errors["name"] = "L'association a déjà un service de ce nom."
        elif section == "coverage":
            changed = replace(current, communes=_coverage(form, vocabulary))
        elif section == "phones":
            changed = replace(current, phones=form.phones())
        elif section == "hours":
            changed = replace(current, hours=form.hours())
        elif section == "closures":
            changed = replace(current, closures=form.closures())
        else:
            abort(400)
        if form.errors:
            return _service_page(db, association, current, service_id, form.errors, section=section), 400
        services = tuple(changed if s.name == current.name else s for s in entry.services)
        _save(db, replace(entry, services=services), association)
        # A renamed service is a new row (services are matched by name): follow it.
        service_id = _service_id(association, changed.name)
    _flash_saved(changed != current)
    return redirect(
        url_for(
            "console.directory.service", association_id=association_id, service_id=service_id, _anchor=section
        )
    )


@bp.post("/<int:association_id>/services/<int:service_id>/delete")
def delete_service(association_id: int, service_id: int) -> ResponseReturnValue:
    """Remove a service from its association (to stop it for a while, set it inactive instead)."""
    with transaction(runtime().sessions) as db:
        association = _association(db, association_id)
        entry = entry_of(association)
        current = _service_entry(association, service_id)
        _save(
            db,
            replace(entry, services=tuple(s for s in entry.services if s.name != current.name)),
            association,
        )
    flash(f"Service « {current.name} » supprimé.", "success")
    return redirect(url_for("console.directory.view", association_id=association_id, _anchor="services"))


@bp.get("/coverage")
def coverage() -> ResponseReturnValue:
    """Communes × categories: how many active associations cover each; where none does."""
    detail = request.args.get("detail") == "1"
    with runtime().sessions() as db:
        matrix = coverage_matrix(db, top_level_only=not detail)
        return render_template("console/directory/coverage.html", matrix=matrix, detail=detail)


@bp.get("/coverage.csv")
def coverage_csv() -> ResponseReturnValue:
    """The coverage matrix as CSV (for a spreadsheet)."""
    detail = request.args.get("detail") == "1"
    with runtime().sessions() as db:
        text = matrix_csv(coverage_matrix(db, top_level_only=not detail))
    return _download(text, "couverture.csv", "text/csv")


@bp.get("/export.<fmt>")
def export(fmt: str) -> ResponseReturnValue:
    """The whole directory as a file: yaml or csv (re-importable), or json (HSDS 3.0)."""
    if fmt not in {"yaml", "csv", "json"}:
        abort(404)
    with runtime().sessions() as db:
        if fmt == "json":
            text = json.dumps(export_hsds(db), ensure_ascii=False, indent=2) + "\n"
        else:
            entries = [entry_of(association) for association in load_associations(db)]
            text = write(entries, fmt, Vocabulary.load(db))
    kinds = {"yaml": "application/yaml", "csv": "text/csv", "json": "application/json"}
    return _download(text, f"annuaire.{'hsds.json' if fmt == 'json' else fmt}", kinds[fmt])


# --- helpers ---------------------------------------------------------------------------------------------


def _save(db: Session, entry: AssociationEntry, association: Association | None) -> Association:
    return save_entry(
        db,
        entry,
        association=association,
        vocabulary=Vocabulary.load(db),
        actor=current_account().username,
        source="console",
        at=now(),
    )


def _flash_saved(changed: bool) -> None:
    if changed:
        flash("Modifications enregistrées : elles comptent dès le prochain appel.", "success")
    else:
        flash("Aucune modification.", "info")


def _association(db: Session, association_id: int) -> Association:
    found = load_associations(db, ids=[association_id])
    if not found:
        abort(404)
    return found[0]


def _service_entry(association: Association, service_id: int) -> ServiceEntry:
    entry = entry_of(association)
    for row in association.services:
        if row.id == service_id:
            return next(s for s in entry.services if s.name == row.name)
    abort(404)


def _service_id(association: Association, name: str) -> int:
    return next(s.id for s in association.services if s.name == name)


def _categories(db: Session) -> list[ServiceCategory]:
    rows = list(db.scalars(select(ServiceCategory)))
    ordered = []
    for parent in sorted((r for r in rows if r.parent_code is None), key=lambda r: r.code):
        ordered.append(parent)
        ordered += sorted((r for r in rows if r.parent_code == parent.code), key=lambda r: r.code)
    return ordered


def _communes(db: Session) -> list[Commune]:
    return sorted(db.scalars(select(Commune)), key=lambda c: name_key(c.name))


def _page(
    db: Session, association: Association, entry: AssociationEntry, errors: Errors, *, section: str | None
) -> str:
    changes = history(db, association_id=association.id, limit=30)
    return render_template(
        "console/directory/association.html",
        association=association,
        entry=entry,
        errors=errors,
        section=section,
        days=list(zip(DAYS, DAY_NAMES, strict=True)),
        hours_text=_hours_text(entry.hours),
        statuses=STATUSES,
        categories={c.code: c.label for c in _categories(db)},
        all_communes=len(_communes(db)),
        changes=[(change, changed_fields(change)) for change in changes],
        field_names=FIELD_NAMES,
        new_rows=_NEW_ROWS,
        show=_show,
    )


def _service_page(
    db: Session,
    association: Association,
    service: ServiceEntry,
    service_id: int | None,
    errors: Errors,
    *,
    section: str | None,
) -> str:
    return render_template(
        "console/directory/service.html",
        association=association,
        service=service,
        service_id=service_id,
        errors=errors,
        section=section,
        days=list(zip(DAYS, DAY_NAMES, strict=True)),
        hours_text=_hours_text(service.hours),
        statuses=STATUSES,
        categories=_categories(db),
        communes=_communes(db),
        new_rows=_NEW_ROWS,
    )


def _hours_text(hours: tuple[HoursEntry, ...]) -> dict[str, str]:
    text: dict[str, list[str]] = {}
    for span in hours:
        text.setdefault(DAYS[span.weekday], []).append(format_span(span))
    return {day: " ".join(spans) for day, spans in text.items()}


def _show(value: Any) -> str:
    """A value of the change history, short and readable."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, str | int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _download(text: str, filename: str, mimetype: str) -> Response:
    # A BOM, so that spreadsheet programs read the accents of a UTF-8 CSV right.
    body = ("\ufeff" + text) if mimetype == "text/csv" else text
    return Response(
        body,
        content_type=f"{mimetype}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
