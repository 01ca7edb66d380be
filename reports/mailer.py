"""E-mailing a month's report over SMTP, the files attached."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from reports.files import ReportFile
from reports.months import month_title
from reports.tables import MonthlyDemandReport, format_value


def report_message(
    files: Sequence[ReportFile],
    *,
    month: str,
    helpline_name: str,
    sender: str,
    recipients: Sequence[str],
    summary: str = "",
) -> EmailMessage:
    """The e-mail of a month's report: a short French text, the files attached."""
    message = EmailMessage()
    message["Subject"] = f"{helpline_name} : observatoire de la demande, {month_title(month)}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    names = "\n".join(f"  - {file.name}" for file in files)
    summary_block = f"{summary}\n\n" if summary else ""
    message.set_content(
        f"Bonjour,\n\nVoici le rapport mensuel du {helpline_name} pour {month_title(month)}.\n\n"
        f"{summary_block}"
        f"Pièces jointes :\n{names}\n\n"
        "Le fichier HTML s'ouvre dans un navigateur et s'imprime tel quel ; le fichier XLSX contient "
        "un tableau par feuille.\n\nCe message est envoyé automatiquement.\n"
    )
    for file in files:
        maintype, _, subtype = file.media_type.partition(";")[0].partition("/")
        message.add_attachment(file.content, maintype=maintype, subtype=subtype, filename=file.name)
    return message


def key_figures_text(report: MonthlyDemandReport) -> str:
    """The month's key figures as lines of text for the e-mail body."""
    table = report.table("key_figures")
    columns = {column.name: column for column in table.columns}
    lines = []
    for record in table.records():
        now = format_value(record["month"], columns["month"])
        before = format_value(record["change_previous_month"], columns["change_previous_month"])
        year = format_value(record["change_last_year"], columns["change_last_year"])
        lines.append(f"  {record['label']} : {now} (sur un mois : {before} ; sur un an : {year})")
    return "Chiffres clés :\n" + "\n".join(lines)
