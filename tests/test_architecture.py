"""The house: a shared leaf, domain packages that import downward, adapters on top, a root nothing imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEAF = "foundation"
ROOT_PACKAGE = "helpline"
# What each package of ours may import (itself aside); the composition root may import everything.
ALLOWED = {
    LEAF: set(),
    "directory": {LEAF},
    "call_log": {LEAF, "directory"},
    "ivr": {LEAF, "directory", "call_log"},
    "reports": {LEAF, "directory", "call_log"},
    "console": {LEAF, "directory", "call_log", "ivr", "reports"},
}
OURS = {*ALLOWED, ROOT_PACKAGE}
DOMAIN = ("directory", "call_log", "ivr", "reports")
# Web and command-line frameworks: only adapters touch them.
FRAMEWORKS = {"flask", "flask_login", "flask_wtf", "werkzeug", "click", "gunicorn"}
# The adapter modules of the domain packages (a module, or a package and everything in it).
ADAPTERS = ("ivr.webhooks",)
# The leaf hands the running app's shared state to the adapters, through Flask's current_app.
LEAF_FRAMEWORK_MODULES = ("foundation.runtime",)


def modules() -> Iterator[tuple[str, Path]]:
    """Every source module of our packages, with its dotted name."""
    for package in sorted(OURS):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports_of(path: Path) -> set[str]:
    """The absolute names a module imports, at its top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes)


IMPORTS = {module: imports_of(path) for module, path in modules()}


def package_graph() -> dict[str, set[str]]:
    """Which of our top-level packages each of ours imports."""
    graph: dict[str, set[str]] = {package: set() for package in OURS}
    for module, imported in IMPORTS.items():
        top = module.split(".")[0]
        graph[top] |= {name.split(".")[0] for name in imported} & OURS - {top}
    return graph


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    """Arrows between our packages that the design does not allow."""
    return [
        f"{package} imports {target}"
        for package, targets in sorted(graph.items())
        if package != ROOT_PACKAGE
        for target in sorted(targets - ALLOWED[package])
    ]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The loops of imports between packages, each as the path that closes it."""
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(graph[node]):
            if target in path:
                found.append([*path[path.index(target) :], target])
            elif target > path[0]:
                visit(target, [*path, target])

    for start in sorted(graph):
        visit(start, [start])
    return found


def test_packages_import_only_downward() -> None:
    """The leaf imports nothing of ours, each domain package only what lies below it, and nothing the root."""
    assert layering_violations(package_graph()) == []


def test_the_package_graph_has_no_cycle() -> None:
    """No two packages of ours import each other, directly or around a loop."""
    assert cycles(package_graph()) == []


@pytest.mark.parametrize("package", [LEAF, *DOMAIN])
def test_frameworks_stay_in_adapters(package: str) -> None:
    """Domain modules and the leaf never import Flask or click; only their adapter modules do."""
    allowed = (*ADAPTERS, *LEAF_FRAMEWORK_MODULES)
    offenders = {
        module: sorted(name for name in imported if name.split(".")[0] in FRAMEWORKS)
        for module, imported in IMPORTS.items()
        if module.split(".")[0] == package and not _within(module, allowed)
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_the_rules_catch_a_domain_package_importing_the_root() -> None:
    """A domain module importing the composition root breaks the layering and closes a cycle."""
    graph = package_graph()
    graph["call_log"] = graph["call_log"] | {ROOT_PACKAGE}
    graph[ROOT_PACKAGE] = graph[ROOT_PACKAGE] | {"call_log"}
    assert "call_log imports helpline" in layering_violations(graph)
    assert ["call_log", "helpline", "call_log"] in cycles(graph)


def test_every_package_is_known() -> None:
    """A new top-level package gets a place in the rules before it ships."""
    shipped = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert shipped == OURS
