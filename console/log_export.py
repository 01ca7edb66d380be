"""The rows of the call log's CSV export, for a French spreadsheet or as data for programs."""

from __future__ import annotations

from call_log.export import CODE_WORDS, OBSERVATORY_HEADERS
from call_log.models import OBSERVATORY_FIELDS, Call
from console.context import DirectoryNames, tz
from foundation.spreadsheets import Cell, CsvForm

# Each column: its name in the data form, its header in the spreadsheet form (None: the column is a
# code that the next one says in words, left out of the spreadsheet form).
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("call_id", "N° d'appel"),
    ("call_sid", "Identifiant Twilio"),
    ("started_at", "Début"),
    ("channel", "Canal"),
    ("caller", "Appelant"),
    ("status", "Statut"),
    ("duration_s", "Durée (s)"),
    ("category", None),
    ("category_label", "Service"),
    *((name, OBSERVATORY_HEADERS[name]) for name in OBSERVATORY_FIELDS),
    ("commune", "Commune"),
    ("outcome", "Issue"),
    ("association", "Association"),
    ("referrals", "Orientations"),
)
CSV_COLUMNS = tuple(name for name, _header in COLUMNS)


def header(form: CsvForm) -> list[Cell]:
    """The header line of the export in this form."""
    if form is CsvForm.DATA:
        return list(CSV_COLUMNS)
    return [words for _name, words in COLUMNS if words is not None]


def export_row(call: Call, names: DirectoryNames, form: CsvForm) -> list[Cell]:
    """One call as a row of the export in this form (callers as the privacy setting stores them)."""
    commune = names.communes.get(call.commune_insee or "")
    started = call.started_at.astimezone(tz())
    values: dict[str, str | int | bool | None] = {
        "call_id": call.id,
        "call_sid": call.call_sid,
        # A date and time a French spreadsheet reads as such; the ISO form with its offset for programs.
        "started_at": started.isoformat(timespec="seconds")
        if form is CsvForm.DATA
        else started.strftime("%d/%m/%Y %H:%M:%S"),
        "channel": call.channel,
        "caller": call.caller,
        "status": call.status,
        "duration_s": call.duration_s,
        "category": call.category_code,
        "category_label": names.categories.get(call.category_code or "", ""),
        **{name: getattr(call, name) for name in OBSERVATORY_FIELDS},
        "commune": commune.name if commune else "",
        "outcome": call.outcome,
        "association": call.association.name if call.association else "",
        "referrals": "; ".join(names.associations.get(r.association_id or 0, "") for r in call.referrals),
    }
    cell = _data_cell if form is CsvForm.DATA else _spreadsheet_cell
    return [cell(name, values[name]) for name, words in COLUMNS if words is not None or form is CsvForm.DATA]


def _data_cell(_name: str, value: str | int | bool | None) -> Cell:
    """A value as programs read it: codes as stored, yes or no for a flag."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _spreadsheet_cell(name: str, value: str | int | bool | None) -> Cell:
    """A value as staff read it: codes in French words, oui or non for a flag."""
    if isinstance(value, bool):
        return CsvForm.SPREADSHEET.yes_no(value)
    if name in CODE_WORDS and not isinstance(value, int):
        return CODE_WORDS[name].label_of(value, missing="")
    return value
