"""The settings staff change while the line runs (staff): the line now, the calendar, who rings, the
prompts, the menu, and the history with its restores; operators switch their own phone
on the duty page (`console.duty`).

Every change goes through `ivr.staff_settings` (a new version, validated by config.yaml's schema) or, for
the line now, `ivr.line`; a call hears it from its next webhook. The views are in `line_page`,
`calendar_page`, `operators_page`, `prompts_page`, `menu_page` and `history_page`.
"""

from __future__ import annotations

from flask import Blueprint

from console.settings_pages import (
    calendar_page,
    history_page,
    line_page,
    menu_page,
    operators_page,
    prompts_page,
    recordings_page,
)

bp = Blueprint("settings", __name__, url_prefix="/settings")
# Endpoints are named after their view functions (templates use them in url_for).
bp.add_url_rule("/line", view_func=line_page.line, methods=["GET"])
bp.add_url_rule("/line", view_func=line_page.save_line, methods=["POST"])
bp.add_url_rule("/calendar", view_func=calendar_page.calendar, methods=["GET"])
bp.add_url_rule("/calendar/hours", view_func=calendar_page.save_hours, methods=["POST"])
bp.add_url_rule("/calendar/holidays", view_func=calendar_page.save_holidays, methods=["POST"])
bp.add_url_rule("/calendar/closures", view_func=calendar_page.add_closure, methods=["POST"])
bp.add_url_rule("/calendar/closures/change", view_func=calendar_page.change_closure, methods=["POST"])
bp.add_url_rule("/operators", view_func=operators_page.operators, methods=["GET"])
bp.add_url_rule("/operators", view_func=operators_page.add_operator, methods=["POST"])
bp.add_url_rule("/operators/change", view_func=operators_page.change_operator, methods=["POST"])
bp.add_url_rule("/prompts", view_func=prompts_page.prompts_page, methods=["GET"])
bp.add_url_rule("/prompts/<key>", view_func=prompts_page.save_prompt, methods=["POST"])
bp.add_url_rule("/prompts/<key>/recording", view_func=recordings_page.upload_recording, methods=["POST"])
bp.add_url_rule(
    "/prompts/<key>/recording/remove", view_func=recordings_page.remove_recording, methods=["POST"]
)
bp.add_url_rule("/menu", view_func=menu_page.menu, methods=["GET"])
bp.add_url_rule("/menu", view_func=menu_page.save_menu, methods=["POST"])
bp.add_url_rule("/history", view_func=history_page.history_page, methods=["GET"])
bp.add_url_rule("/history/<int:number>/restore", view_func=history_page.restore_version, methods=["POST"])
