"""What starting costs: `helpline` loads no domain package before a command runs, and a server worker
does not load what only the report's files need (bench/startup.py times both)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from helpline.cli import main


def loaded(code: str, prefixes: tuple[str, ...]) -> list[str]:
    """The top-level packages among `prefixes` that a fresh interpreter has loaded after `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [name for name in output.stdout.split() if name in prefixes]


def test_the_command_line_starts_without_the_domain_packages() -> None:
    """`helpline --help` needs click only: no SQLAlchemy, config schema, call log, accounts or directory."""
    heavy = ("sqlalchemy", "pydantic", "werkzeug", "matplotlib", "phonenumbers", "call_log", "console")
    assert loaded("import helpline.cli", (*heavy, "directory")) == []


def test_a_worker_does_not_load_the_report_charts() -> None:
    """The app a worker builds has its webhooks and console, not matplotlib or openpyxl (the files' job)."""
    assert loaded("import helpline.app, console.web, ivr.webhooks", ("matplotlib", "openpyxl")) == []


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["users", "add", "--help"], "[operator|staff|admin]"),
        (["directory", "export", "--help"], "[csv|yaml|hsds]"),
        (["report", "--help"], "[html|csv|xlsx|opendata]"),
    ],
)
def test_choices_from_domain_modules_are_shown(args: list[str], shown: str) -> None:
    """Options whose values live in a domain module still list them, read when the help is shown."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert shown in result.output
