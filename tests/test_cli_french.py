"""The `helpline` command speaks French in click's own words too: usage lines, help, errors, questions."""

from __future__ import annotations

import ast
import errno
import re
import socket
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from foundation.reasons import system_error
from helpline.cli import main, simulation_failure
from helpline.cli.french import MESSAGES, PLURALS, confirm
from helpline.startup import database_reason
from ivr.simulator.errors import InvalidTwiML, SimulationLimit, SimulatorError, WebhookError
from tests.conftest import EXAMPLE_CONFIG

# Click's messages only a programmer can cause (a command declared wrongly, a Windows console, a colour
# name in code, a shell too old for completion): they never reach staff through our commands.
PROGRAMMER_ONLY = {
    "d",
    "{editor}: Editing failed",
    "{editor}: Editing failed: {e}",
    "Windows error: {error}",
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Couldn't detect Bash version, shell completion is not supported.",
    "Shell completion is not supported for Bash versions older than 4.4.",
    "Unknown color {colour!r}",
    "Unknown standard stream '{name}'",
}

ENGLISH = ("Usage:", "Show this message", "[default:", "required]", "Commands:")
# Click's placeholders (the usage line's, its value types' names) and arguments named in English.
ENGLISH_WORDS = re.compile(
    r"\b(?:COMMAND|ARGS|TEXT|INTEGER|FLOAT|FILENAME|BOOLEAN|RANGE|DATETIME|FILE|PATH|DIRECTORY|USERNAME)\b"
)


def _click_messages() -> tuple[set[str], set[tuple[str, str]]]:
    """Every message click's source passes to gettext (`_("...")`) or ngettext, read from its files."""
    singles: set[str] = set()
    plurals: set[tuple[str, str]] = set()
    for path in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = [
                arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            if node.func.id == "_" and texts:
                singles.add(texts[0])
            elif node.func.id == "ngettext":
                plurals.add((texts[0], texts[1]))
    singles.add("required")  # passed as a variable: `_(extra["required"])`
    return singles, plurals


def test_every_message_click_can_show_staff_is_in_french_and_none_is_stale() -> None:
    singles, plurals = _click_messages()
    assert singles - set(MESSAGES) - PROGRAMMER_ONLY == set()
    assert plurals - set(PLURALS) == set()
    assert set(MESSAGES) - singles == set(), "a message click no longer has"
    assert set(PLURALS) - plurals == set(), "a message click no longer has"
    assert singles >= PROGRAMMER_ONLY


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            found += _commands(sub, (*path, name))
    return found


@pytest.mark.parametrize("path", _commands(main), ids=lambda path: " ".join(path) or "helpline")
def test_every_command_s_help_is_french(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="helpline", catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith(f"Utilisation : {' '.join(('helpline', *path))} [OPTIONS]")
    assert "  --help  " in result.output
    assert "Afficher cette aide et quitter." in result.output
    assert [phrase for phrase in ENGLISH if phrase in result.output] == []
    assert ENGLISH_WORDS.findall(result.output) == []


def test_a_group_names_its_commands_in_french() -> None:
    report = CliRunner().invoke(main, ["report", "--help"], prog_name="helpline").output
    assert report.startswith("Utilisation : helpline report [OPTIONS] [COMMANDE] [ARGUMENTS]...\n")
    output = CliRunner().invoke(main, ["--help"], prog_name="helpline").output
    assert output.startswith("Utilisation : helpline [OPTIONS] COMMANDE [ARGUMENTS]...\n")
    assert "\nOptions :\n" in output
    assert "\nCommandes :\n" in output


@pytest.mark.parametrize(
    ("args", "command", "error"),
    [
        (["privacy", "find"], "helpline privacy find", "Il manque l'argument 'NUMERO_OU_COURRIEL'."),
        (["nope"], "helpline", "La commande 'nope' n'existe pas."),
        (
            ["serve", "--hots"],
            "helpline serve",
            "L'option '--hots' n'existe pas. Vouliez-vous dire l'un de : '--host', '--port' ?",
        ),
        (
            ["serve", "--port", "abc"],
            "helpline serve",
            "Valeur invalide pour '--port' : 'abc' n'est pas un entier valide.",
        ),
        (
            ["serve", "--port", "0"],
            "helpline serve",
            "Valeur invalide pour '--port' : 0 n'est pas dans l'intervalle 1<=x<=65535.",
        ),
        (
            ["report", "--format", "pdf"],
            "helpline report",
            "Valeur invalide pour '--format' : 'pdf' n'est pas parmi 'html', 'csv', 'xlsx', 'opendata'.",
        ),
        (["serve", "--host"], None, "L'option '--host' demande une valeur."),
        (["line", "status", "extra"], "helpline line status", "Argument en trop (extra)"),
        (
            ["directory", "import", "/nonexistent/annuaire.csv"],
            "helpline directory import",
            "Valeur invalide pour 'FICHIER' : Fichier '/nonexistent/annuaire.csv' introuvable.",
        ),
    ],
)
def test_a_mistyped_command_is_answered_in_french(args: list[str], command: str | None, error: str) -> None:
    result = CliRunner().invoke(main, args, prog_name="helpline")
    assert result.exit_code == 2
    assert result.output.endswith(f"\nErreur : {error}\n" if command else f"Erreur : {error}\n")
    if command:
        assert f"\nPour l'aide : '{command} --help'.\n" in result.output


@click.command()
def _ask() -> None:
    click.echo(f"réponse : {confirm('Effacer ?')}")


@pytest.mark.parametrize(
    ("typed", "answer"), [("o\n", True), ("OUI\n", True), ("n\n", False), ("non\n", False), ("\n", False)]
)
def test_a_question_is_answered_in_french(typed: str, answer: bool) -> None:
    result = CliRunner().invoke(_ask, input=typed)
    assert result.output == f"Effacer ? [o/N] : {typed}réponse : {answer}\n"


def test_an_english_yes_is_not_taken_for_a_yes() -> None:
    result = CliRunner().invoke(_ask, input="y\nn\n")
    refused = "Erreur : 'y' n'est pas parmi 'o', 'oui', 'n', 'non'."
    assert result.output == f"Effacer ? [o/N] : y\n{refused}\nEffacer ? [o/N] : n\nréponse : False\n"


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (FileNotFoundError(errno.ENOENT, "No such file or directory"), "fichier ou dossier introuvable"),
        (
            PermissionError(errno.EACCES, "Permission denied"),
            "accès refusé (droits du fichier ou du dossier)",
        ),
        (OSError(errno.ENOSPC, "No space left on device"), "plus de place sur le disque"),
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
            "connexion refusée (le serveur est-il lancé ?)",
        ),
        (OSError(errno.EMLINK, "Too many links"), f"erreur du système (code {errno.EMLINK})"),
        (OSError("Max retries exceeded with url: /ivr/voice"), "erreur du système ou du réseau"),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "nom de serveur inconnu (vérifiez l'adresse)",
        ),
    ],
)
def test_the_system_s_reasons_are_said_in_french(error: OSError, said: str) -> None:
    assert system_error(error) == said


@pytest.fixture
def migrated(tmp_path: Path) -> dict[str, str]:
    """The environment of a helpline on a migrated SQLite file."""
    env = {
        "HELPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}",
        "HELPLINE_CONFIG": str(EXAMPLE_CONFIG),
        "HELPLINE_CALLER_HASH_SECRET": "test-caller-hash-secret",
    }
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    return env


def test_a_file_that_cannot_be_written_is_said_in_french(tmp_path: Path, migrated: dict[str, str]) -> None:
    target = tmp_path / "absent" / "p.txt"
    result = CliRunner().invoke(
        main, ["privacy", "find", "+33639980001", "--output", str(target)], env=migrated
    )
    assert result.output == f"helpline: impossible d'écrire {target} : fichier ou dossier introuvable\n"


def test_a_server_that_cannot_be_reached_is_said_in_french(migrated: dict[str, str]) -> None:
    """requests wraps the socket's refusal twice: the reason is found inside."""
    result = CliRunner().invoke(main, ["simulate", "--url", "http://127.0.0.1:1"], input="\n", env=migrated)
    assert result.output.endswith(
        "helpline: impossible de joindre http://127.0.0.1:1 : connexion refusée (le serveur est-il lancé ?)\n"
    )


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("SELECT nope FROM sqlite_master", "base pas à jour pour cette version"),
        ("SELECT * FROM association", "fichier introuvable, ou base sans ses tables"),
        ("SELEC 1", "erreur inattendue de la base"),
    ],
)
def test_what_the_database_says_is_told_in_french(tmp_path: Path, statement: str, reason: str) -> None:
    """SQLite's own words (English) become the reason staff can act on."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        connection.execute(text(statement))
    assert database_reason(raised.value) == reason


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["directory", "export", "--output", "{absent}/annuaire.yaml"], "fichier ou dossier introuvable"),
        (["backup", "--output", "{file}/copie.sqlite3"], "un fichier porte déjà ce nom"),
    ],
)
def test_a_file_the_command_cannot_write_is_one_french_line(
    tmp_path: Path, migrated: dict[str, str], args: list[str], reason: str
) -> None:
    """No traceback: the path and why, in French."""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    typed = [arg.format(absent=tmp_path / "absent", file=tmp_path / "a-file") for arg in args]
    result = CliRunner().invoke(main, typed, env=migrated)
    assert (result.exit_code, result.output) == (1, f"helpline: impossible d'écrire {typed[-1]} : {reason}\n")


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            WebhookError("http://localhost/ivr/voice", 500, "Internal Server Error"),
            "http://localhost/ivr/voice a répondu 500 au lieu de 200 : Twilio ferait entendre son message "
            "d'erreur à l'appelant (le journal du serveur dit pourquoi)",
        ),
        (
            InvalidTwiML("http://localhost/ivr/menu", "unknown TwiML element <Speak>"),
            "http://localhost/ivr/menu a répondu un document que Twilio refuserait (TwiML invalide)",
        ),
        (SimulationLimit(200), "l'appel a demandé plus de 200 documents à la ligne : le menu tourne en rond"),
    ],
)
def test_what_the_simulator_found_is_said_in_french(error: SimulatorError, said: str) -> None:
    assert simulation_failure(error) == said
