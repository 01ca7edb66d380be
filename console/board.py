"""The live board: calls in progress and just ended, refreshed by polling a fragment of the page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from call_log.board import live_board, take_call
from call_log.callbacks import queue_counts
from call_log.follow_up import count_overdue_referrals
from call_log.models import Call
from console.access import current_account
from console.context import DirectoryNames, now, opening_hours, working_days
from foundation.db import transaction
from foundation.runtime import runtime
from foundation.text import is_ascii_digits

bp = Blueprint("board", __name__)


def _board_context() -> dict[str, object]:
    moment = now()
    with runtime().sessions() as db:
        waiting, late = queue_counts(db, now=moment, calendar=opening_hours(db))
        staff = current_account().can("staff")
        return {
            "board": live_board(db, now=moment),
            "names": DirectoryNames.load(db),
            "callbacks_waiting": waiting,
            "callbacks_overdue": late,
            "referrals_overdue": count_overdue_referrals(db, now=moment, calendar=working_days())
            if staff
            else 0,
        }


@bp.get("/")
def index() -> ResponseReturnValue:
    """The board page."""
    refresh = current_app.config["CONSOLE_BOARD_REFRESH_S"]
    return render_template("console/board.html", refresh_s=refresh, **_board_context())


@bp.get("/board/rows")
def rows() -> ResponseReturnValue:
    """The board's calls alone, for the page to refresh itself."""
    return render_template("console/_board_rows.html", **_board_context())


@bp.get("/go")
def go() -> ResponseReturnValue:
    """Open a call's record by its number (the one the operator's whisper says)."""
    number = request.args.get("call", "").strip().lstrip("#n°").strip()
    if not is_ascii_digits(number):
        flash("Tapez le numéro de l'appel, par exemple 42.", "error")
        return redirect(url_for("console.board.index"))
    return redirect(url_for("console.records.view", call_id=int(number)))


@bp.post("/calls/<int:call_id>/take")
def take(call_id: int) -> ResponseReturnValue:
    """« Je prends »: the operator takes the call put through to the operators, and opens its record."""
    me = current_account()
    with transaction(runtime().sessions) as db:
        call = db.get(Call, call_id)
        if call is None:
            abort(404)
        first = take_call(db, call, by=me.username, name=me.display_name, now=now())
    if first is not None:
        flash(f"L'appel n° {call_id} est déjà pris par {first}.", "error")
        return redirect(url_for("console.board.index", _anchor=f"call-{call_id}"))
    flash(f"Vous prenez l'appel n° {call_id}.", "success")
    return redirect(url_for("console.records.view", call_id=call_id))
