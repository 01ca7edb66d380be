"""The monthly demand report in the console (staff): pick a month, read the report, download its files.

The report is the same standalone page that is mailed (its own styles, inline SVG charts); the console page
frames it, so its print styles stay its own, and offers each format for download.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from console.context import now, tz
from foundation.runtime import runtime
from reports.files import FORMATS, Format, ReportFile, collect_month, render_files
from reports.months import month_of, month_title, parse_month, shift_month

bp = Blueprint("reports", __name__, url_prefix="/reports")

FORMAT_LABELS: dict[Format, str] = {
    "html": "Page imprimable (HTML)",
    "csv": "Tableau long (CSV)",
    "xlsx": "Classeur (XLSX)",
    "opendata": "Données ouvertes (CSV)",
}
# The framed report needs its inline styles; it runs no script and loads nothing, and only the console
# may frame it.
_REPORT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
}


def _checked(month: str) -> str:
    try:
        parse_month(month)
    except ValueError:
        abort(404)
    return month


def _file(month: str, fmt: Format) -> ReportFile:
    rt = runtime()
    with rt.sessions() as session:
        figures = collect_month(session, _checked(month), [fmt], config=rt.config, now=now())
    (built,) = render_files(figures, [fmt])
    return built


@bp.get("/")
def index() -> ResponseReturnValue:
    """The month picker, the report of the chosen month (last month by default), its downloads."""
    latest = month_of(now(), tz())
    month = request.args.get("month") or shift_month(latest, -1)
    try:
        parse_month(month)
    except ValueError:
        error = f"« {month} » n'est pas un mois : choisissez un mois, par exemple {latest}."
        return render_template("console/reports.html", month=None, latest=latest, error=error), 400
    downloads = [(url_for(".download", month=month, fmt=fmt), label) for fmt, label in FORMAT_LABELS.items()]
    return render_template(
        "console/reports.html",
        month=month,
        latest=latest,
        title=month_title(month),
        downloads=downloads,
        error=None,
    )


@bp.get("/<month>.html")
def view(month: str) -> ResponseReturnValue:
    """The report page of a month, to frame in the console or print."""
    return Response(_file(month, "html").content, mimetype="text/html", headers=_REPORT_HEADERS)


@bp.get("/<month>/<fmt>")
def download(month: str, fmt: str) -> ResponseReturnValue:
    """One file of a month's report, as an attachment."""
    if fmt not in FORMATS:
        abort(404)
    built = _file(month, fmt)
    return Response(
        built.content,
        mimetype=built.media_type,
        headers={"Content-Disposition": f'attachment; filename="{built.name}"'},
    )
