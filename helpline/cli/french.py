"""Click's own words in French: the usage line, help headings, errors and prompts reach staff.

Click translates its messages through gettext: each of its modules binds `_ = gettext.gettext` and
`ngettext` at import. `speak_french()` points those names at the catalogue below for this process (the
`helpline` command) instead of changing the process's locale, and names click's value types in French
for the help's placeholders (`--port ENTIER`). Messages only a programmer can cause (a command declared
twice, a Windows console error) stay as click wrote them; tests/test_cli_french.py reads click's source
and fails on any other message missing here, so an upgrade of click that adds one is seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Callable

MESSAGES: dict[str, str] = {
    "Aborted!": "Abandon.",
    "deprecated": "obsolète",
    "Missing command.": "Il manque la commande.",
    "Options": "Options",
    "Positional arguments": "Arguments",
    "Commands": "Commandes",
    "Value must be an iterable.": "La valeur doit être une liste.",
    "env var: {var}": "variable d'environnement : {var}",
    "default: {default}": "par défaut : {default}",
    "required": "obligatoire",
    "(dynamic)": "(calculé)",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "Attention : la commande {name!r} est obsolète.{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "Attention : le paramètre {name!r} est obsolète.{extra_message}"
    ),
    "Do you want to continue?": "Continuer ?",
    "Confirm the action without prompting.": "Confirmer sans poser la question.",
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Show the version and exit.": "Afficher la version et quitter.",
    "Show this message and exit.": "Afficher cette aide et quitter.",
    "Missing argument": "Il manque l'argument",
    "Missing option": "Il manque l'option",
    "Missing parameter": "Il manque le paramètre",
    "Missing {param_type}": "Il manque le paramètre",
    "Missing parameter: {param_name}": "Il manque le paramètre {param_name}",
    "unknown error": "erreur inconnue",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Could not open file {filename!r}: {message}": "Impossible d'ouvrir le fichier {filename!r} : {message}",
    "Error: {message}": "Erreur : {message}",
    "Try '{command} {option}' for help.": "Pour l'aide : '{command} {option}'.",
    "No such option {name!r}.": "L'option {name!r} n'existe pas.",
    "No such command {name!r}.": "La commande {name!r} n'existe pas.",
    "Usage:": "Utilisation :",
    "Invalid start character for option ({option})": "Début d'option invalide ({option})",
    "Option {name!r} does not take a value.": "L'option {name!r} ne prend pas de valeur.",
    "Argument {name!r} takes {nargs} values.": "L'argument {name!r} prend {nargs} valeurs.",
    "Press any key to continue...": "Appuyez sur une touche pour continuer…",
    "Repeat for confirmation": "Encore une fois, pour confirmer",
    "Error: The two entered values do not match.": "Erreur : les deux saisies sont différentes.",
    "Error: invalid input": "Erreur : réponse non comprise",
    "file": "fichier",
    "directory": "dossier",
    "path": "chemin",
    "Choose from:\n\t{choices}": "Au choix :\n\t{choices}",
    "Choice({choices})": "Choix({choices})",
    "{value} is not in the range {range}.": "{value} n'est pas dans l'intervalle {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} n'est ni oui ni non. Valeurs comprises : {states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} n'est pas un {number_type} valide.",
    "{value!r} is not a valid UUID.": "{value!r} n'est pas un UUID valide.",
    "{name} {filename!r} is a file.": "{name} {filename!r} : c'est un fichier.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} : c'est un dossier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} : lecture refusée.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} : écriture refusée.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} : exécution refusée.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} introuvable.",
}

# (singular, plural) in click -> (singular, plural) in French, where 0 and 1 take the singular.
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Argument en trop ({args})",
        "Arguments en trop ({args})",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Prend {nargs} valeurs, mais {len} a été donnée.",
        "Prend {nargs} valeurs, mais {len} ont été données.",
    ),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Vouliez-vous dire {possibility} ?",
        "Vouliez-vous dire l'un de : {possibilities} ?",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "L'option {name!r} demande une valeur.",
        "L'option {name!r} demande {nargs} valeurs.",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} n'est pas {choice}.",
        "{value!r} n'est pas parmi {choices}.",
    ),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."): (
        "{value!r} ne suit pas le format {format}.",
        "{value!r} ne suit aucun des formats {formats}.",
    ),
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): (
        "{len_type} valeurs sont demandées, mais {len_value} a été donnée.",
        "{len_type} valeurs sont demandées, mais {len_value} ont été données.",
    ),
}

# The placeholders of the help (`--port INTEGER RANGE`), from each value type's name.
TYPE_NAMES: dict[type[click.ParamType[Any]], str] = {
    click.types.StringParamType: "texte",
    click.types.IntParamType: "entier",
    click.types.IntRange: "entier",
    click.types.FloatParamType: "nombre",
    click.types.FloatRange: "nombre",
    click.types.DateTime: "date",
    click.types.File: "fichier",
}

# A path's name, set by click when the option is declared (`_("file")`), possibly before speak_french().
PATH_NAMES = {"file": "fichier", "directory": "dossier", "path": "chemin"}

# Where click binds its gettext functions (its other modules show no message to a user of ours).
_CLICK_MODULES = (
    click.core,
    click.decorators,
    click.exceptions,
    click.formatting,
    click.parser,
    click.termui,
    click.types,
    click.utils,
)

# A group's usage line, `helpline report [OPTIONS] [COMMANDE] [ARGUMENTS]...`.
SUBCOMMAND = "COMMANDE [ARGUMENTS]..."
OPTIONAL_SUBCOMMAND = "[COMMANDE] [ARGUMENTS]..."


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    french = PLURALS.get((singular, plural))
    if french is None:
        return singular if n == 1 else plural
    return french[0] if n <= 1 else french[1]


class FrenchFormatter(click.HelpFormatter):
    """Help headings as French writes them, with a space before the colon (« Options : »)."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading} :\n")


def speak_french(root: click.Command) -> None:
    """Click's messages, help headings and type names in French for this process; `root`'s paths too."""
    for module in _CLICK_MODULES:
        module_vars: dict[str, Any] = vars(module)
        if "_" in module_vars:
            module_vars["_"] = gettext
        if "ngettext" in module_vars:
            module_vars["ngettext"] = ngettext
    for param_type, name in TYPE_NAMES.items():
        param_type.name = name
    click.Context.formatter_class = FrenchFormatter
    _name_paths(root)


def _name_paths(command: click.Command) -> None:
    for param in command.params:
        if isinstance(param.type, click.Path):
            param.type.name = PATH_NAMES.get(param.type.name, param.type.name)
    for sub in command.commands.values() if isinstance(command, click.Group) else ():
        _name_paths(sub)


class FrenchGroup(click.Group):
    """A command group whose usage line names its sub-commands in French; its sub-groups are the same."""

    group_class = type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("subcommand_metavar") is None:
            optional = kwargs.get("invoke_without_command", False)
            kwargs["subcommand_metavar"] = OPTIONAL_SUBCOMMAND if optional else SUBCOMMAND
        super().__init__(*args, **kwargs)


def confirm(question: str) -> bool:
    """Ask a yes/no question in French (`o`/`oui` or `n`/`non`, no by default)."""
    answer: str = click.prompt(
        f"{question} [o/N]",
        prompt_suffix=" : ",
        default="n",
        show_default=False,
        show_choices=False,
        type=click.Choice(["o", "oui", "n", "non"], case_sensitive=False),
    )
    return answer.lower() in ("o", "oui")


def group(**kwargs: Any) -> Callable[[Callable[..., Any]], FrenchGroup]:
    """`click.group` with French usage lines."""
    return click.group(cls=FrenchGroup, **kwargs)
