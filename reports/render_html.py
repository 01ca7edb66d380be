"""The printable HTML report: one self-contained page (inline CSS and SVG charts), in French."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from foundation.config import DAY_NAMES_FR
from reports import charts
from reports.months import month_title
from reports.tables import MonthlyDemandReport, format_value

INCOMPLETE = "mois en cours, incomplet"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = format_value
    return environment


def render_charts(report: MonthlyDemandReport) -> dict[str, Markup]:
    """The report's charts as inline SVG, by name."""
    svgs = {
        "trend": charts.trend(report.table("trend")),
        "categories": charts.horizontal_bars(report.table("categories"), label="category_label"),
        "territory_beneficiary": charts.stacked_shares(
            report.table("territory_beneficiary"), group="zone_label", part="beneficiary_label"
        ),
        "heatmap": charts.heatmap(report.table("heatmap"), days=DAY_NAMES_FR),
        "outcomes": charts.horizontal_bars(report.table("outcomes"), label="outcome_label"),
        "funnel": charts.horizontal_bars(report.table("funnel"), label="stage_label"),
    }
    # matplotlib writes the SVG and escapes the text it draws; the page embeds it as markup.
    return {name: Markup(svg) for name, svg in svgs.items()}


def render_html(report: MonthlyDemandReport) -> str:
    """The report as a standalone, printable HTML page."""
    template = _environment().get_template("reports/report.html")
    generated = report.generated_at.astimezone(ZoneInfo(report.timezone))
    return template.render(
        # A month not over yet is compared with whole months: its changes would read as falls.
        incomplete=report.generated_at < report.end,
        report=report,
        title=f"{report.helpline_name} : observatoire de la demande, {month_title(report.month)}",
        month_title=month_title(report.month),
        generated=f"{generated:%d/%m/%Y à %H:%M}",
        incomplete_words=INCOMPLETE,
        charts=render_charts(report),
    )
