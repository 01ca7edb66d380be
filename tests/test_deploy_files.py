"""The production recipe's files (deploy/): the image installs as the README does and runs unprivileged, the
systemd unit passes `systemd-analyze verify`, the example environment names only real settings."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.live_server import HELPLINE

DEPLOY = ROOT / "deploy"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """The Dockerfile's (INSTRUCTION, arguments), continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    lines = (line.strip() for line in joined.splitlines())
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.split(None, 1) for line in lines if line and not line.startswith("#"))
    ]


def makefile_install_command() -> str:
    """`make install`'s pip command, with the Makefile's variables spelled out as the image has them."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^\$\(STAMP_RUN\):.*\n\t(.+)$", makefile, re.MULTILINE)
    assert match is not None, "the Makefile's install rule moved: update this test"
    return match.group(1).replace("$(BIN)/", ".venv/bin/").replace("$(LOCK)", "requirements.lock")


def test_image_installs_from_the_lock_as_make_install_does() -> None:
    """The image runs `make install`'s own pip command (every version from requirements.lock) in a venv."""
    runs = [args for name, args in instructions(DEPLOY / "Dockerfile") if name == "RUN"]
    command = makefile_install_command()
    assert command == ".venv/bin/python -m pip install -c requirements.lock -e ."
    assert any("python -m venv .venv" in run and command in run for run in runs)


def test_image_runs_unprivileged_migrates_then_serves() -> None:
    """The last USER is not root; the database is upgraded before the server starts; var/ is a volume."""
    steps = instructions(DEPLOY / "Dockerfile")
    users = [args for name, args in steps if name == "USER"]
    assert users
    assert users[-1] not in {"root", "0", "0:0"}
    workdir = next(args for name, args in steps if name == "WORKDIR")
    assert [args for name, args in steps if name == "VOLUME"] == [f'["{workdir}/var"]']
    (command,) = [args for name, args in steps if name == "CMD"]
    assert re.search(r"helpline db upgrade && exec helpline serve --host 0\.0\.0\.0 --port 5000\b", command)
    (healthcheck,) = [args for name, args in steps if name == "HEALTHCHECK"]
    assert "http://127.0.0.1:5000/health" in healthcheck
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv*", "var", ".git"} <= set(ignored)


def render_unit(unit: Path) -> str:
    """The unit with this checkout and this virtualenv's `helpline` in place of /opt/helpline."""
    text = unit.read_text()
    assert text.count("/opt/helpline/.venv/bin/helpline ") == 2, "ExecStartPre and ExecStart run helpline"
    return text.replace("/opt/helpline/.venv/bin/helpline", HELPLINE).replace("/opt/helpline", str(ROOT))


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` finds nothing to say about deploy/helpline.service (rendered for here)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze to verify deploy/helpline.service: apt-get install systemd")
    unit = tmp_path / "helpline.service"
    unit.write_text(render_unit(DEPLOY / "helpline.service"))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "helpline.service" in line]
    assert (result.returncode, complaints) == (0, [])


def test_systemd_unit_runs_migrations_then_the_server_hardened() -> None:
    """The unit upgrades the database first, restarts on failure, and may write only var/."""
    settings = dict(
        line.split("=", 1) for line in (DEPLOY / "helpline.service").read_text().splitlines() if "=" in line
    )
    assert settings["EnvironmentFile"] == "/etc/helpline/env"
    assert settings["ExecStartPre"].endswith("/helpline db upgrade")
    assert " serve --host 127.0.0.1 --port 5000" in settings["ExecStart"]
    assert settings["Restart"] == "on-failure"
    assert settings["ProtectSystem"] == "strict"
    assert settings["ReadWritePaths"] == settings["WorkingDirectory"] + "/var"
    assert (settings["NoNewPrivileges"], settings["PrivateTmp"]) == ("yes", "yes")
    assert settings["User"] not in {"root", "0"}


def test_example_environment_names_only_real_settings() -> None:
    """Every variable of deploy/helpline.env.example is one the program reads; secrets are placeholders."""
    lines = [line.lstrip("# ") for line in (DEPLOY / "helpline.env.example").read_text().splitlines()]
    variables = dict(line.split("=", 1) for line in lines if re.match(r"[A-Z_]+=", line))
    settings_source = (ROOT / "foundation" / "settings.py").read_text()
    assert [name for name in variables if f'"{name}"' not in settings_source] == []
    assert variables["HELPLINE_TRUSTED_PROXIES"] == "1"
    assert variables["HELPLINE_PUBLIC_URL"].startswith("https://")
    assert variables["HELPLINE_SECRET_KEY"] == variables["HELPLINE_CALLER_HASH_SECRET"]
    assert variables["HELPLINE_SECRET_KEY"].startswith("replace-with-")
