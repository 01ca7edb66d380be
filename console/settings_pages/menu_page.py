"""The voice menu: the options' words and order, and the service category each key sends.

Within the rules of config.yaml, which the schema checks: at most 6 spoken options, 0 kept for the
operators, categories from the taxonomy. A sub-menu is kept as it is (its own options are set in
config.yaml); its words, key and place in the menu change here.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from console.settings_pages.state import Refused, apply, settings_now
from directory.reference import taxonomy
from foundation.config.menu import MAX_SPOKEN_OPTIONS

# Empty rows offered to add options.
BLANK_ROWS = 2
OPERATOR = "operator"
SUBMENU = "submenu"


def _actions() -> dict[str, str]:
    """What a key may do, by the value of its select: a category, the operators, or its sub-menu."""
    actions = {
        f"category:{row.code}": row.label + (" (toute demande)" if row.parent_code is None else "")
        for row in taxonomy()
    }
    return {**actions, OPERATOR: "Un opérateur"}


def _rows_of(options: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for option in options:
        action = (
            OPERATOR
            if option.get("operator")
            else f"{SUBMENU}:{option['key']}"
            if option.get("options") is not None
            else f"category:{option['category']}"
        )
        rows.append({"key": str(option["key"]), "say": option["say"], "action": action})
    return rows


def menu() -> ResponseReturnValue:
    """The menu's options, in order, as one form."""
    return _render()


def _render(
    *, rows: list[dict[str, str]] | None = None, errors: Any = None, status: int = 200
) -> ResponseReturnValue:
    config = settings_now().config
    current = config.model_dump(mode="json", include={"menu"})["menu"]["options"]
    blank = [{"key": "", "say": "", "action": ""}] * BLANK_ROWS
    shown = (rows if rows is not None else _rows_of(current)) + blank
    submenus = {
        f"{SUBMENU}:{option['key']}": option for option in current if option.get("options") is not None
    }
    return (
        render_template(
            "console/settings/menu.html",
            rows=shown,
            actions=_actions(),
            submenus=submenus,
            most=MAX_SPOKEN_OPTIONS,
            errors=errors or {},
        ),
        status,
    )


def save_menu() -> ResponseReturnValue:
    """The options as the form lists them: rows left empty are dropped, the order is the rows' order."""
    count = min(int(request.form.get("rows", "0") or 0), 30)
    typed = [
        {name: request.form.get(f"{name}-{index}", "").strip() for name in ("key", "say", "action", "order")}
        for index in range(count)
    ]
    kept = sorted(
        (row for row in typed if row["say"] or row["key"]),
        key=lambda row: int(row["order"]) if row["order"].isdigit() else 99,
    )
    errors: dict[str, list[str]] = {}
    submenus: dict[str, Any] = {}
    current = settings_now().config.model_dump(mode="json", include={"menu"})["menu"]["options"]
    for option in current:
        if option.get("options") is not None:
            submenus[f"{SUBMENU}:{option['key']}"] = option["options"]
    options: list[dict[str, Any]] = []
    for place, row in enumerate(kept):
        if not row["say"]:
            errors[f"menu.options[{place}].say"] = [f"Choix {place + 1} : dites ce que l'appelant entend."]
        entry: dict[str, Any] = {"key": row["key"], "say": " ".join(row["say"].split())}
        if row["action"] == OPERATOR:
            entry["operator"] = True
        elif row["action"].startswith("category:"):
            entry["category"] = row["action"].removeprefix("category:")
        elif row["action"].startswith(f"{SUBMENU}:") and row["action"] in submenus:
            entry["options"] = submenus[row["action"]]
        else:
            errors[f"menu.options[{place}].category"] = [f"Choix {place + 1} : choisissez où mène la touche."]
        options.append(entry)
    if not errors:
        result = apply(lambda document: document["menu"].update(options=options), "Choix du menu")
        if not isinstance(result, Refused):
            flash("Menu enregistré : le prochain appel l'entend.", "success")
            return redirect(url_for("console.settings.menu"))
        errors = {path: [line] for path, line in result.problems}
    rows = [{"key": row["key"], "say": row["say"], "action": row["action"]} for row in kept]
    return _render(rows=rows, errors=_by_row(errors), status=400)


def _by_row(errors: dict[str, list[str]]) -> dict[Any, list[str]]:
    """Errors of one option under its row number, the rest under 'menu'."""
    found: dict[Any, list[str]] = {}
    for path, lines in errors.items():
        if path.startswith("menu.options[") and "]" in path:
            place: Any = int(path[len("menu.options[") : path.index("]")])
        else:
            place = "menu"
        found.setdefault(place, []).extend(lines)
    return found
