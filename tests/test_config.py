"""config.yaml: the example is valid, and each kind of mistake is named with its YAML path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from directory.reference import category_codes
from foundation.settings import Settings
from helpline.app import load_helpline_config
from helpline.config import ConfigError, load_config, parse_config
from tests.conftest import EXAMPLE_CONFIG

Edit = Callable[[dict[str, Any]], None]


def _example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    return data


def _error_of(edit: Edit) -> str:
    data = _example()
    edit(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(data, allow_unicode=True), categories=category_codes())
    return str(caught.value)


def test_example_config_is_valid() -> None:
    """The shipped config.yaml describes the Brenne helpline and validates against the taxonomy."""
    config = load_config(EXAMPLE_CONFIG, categories=category_codes())
    assert config.helpline.name == "1001 services"
    assert config.helpline.language == "fr-FR"
    assert config.helpline.timezone == "Europe/Paris"
    assert [option.key for option in config.menu.options] == ["1", "2", "3", "4", "5", "6"]
    assert [(r.start.isoformat(), r.end.isoformat()) for r in config.hours.mon] == [
        ("09:00:00", "12:30:00"),
        ("13:30:00", "17:30:00"),
    ]
    assert config.hours.sat == []
    assert len(config.operators) == 2
    assert config.privacy.caller_number == "masked"


def _set(path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return edit


def _append_options(count: int) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for key in range(7, 7 + count):
            data["menu"]["options"].append({"key": key, "say": f"Tapez {key}.", "category": "SANTE"})

    return edit


CONTROL = "contient un caractère de contrôle invisible"
CONTROL_ADVICE = "souvent collé depuis un tableur ou un traitement de texte : retapez le texte sans lui"
MISTAKES = [
    pytest.param(
        _set("questions.heard_from_options", [{"key": "1", "value": "Radio", "say": "Tapez 1."}]),
        "questions.heard_from_options[0].value : « Radio » n'est pas valide : il faut de 2 à 40 lettres "
        "minuscules sans accent ou « _ » (ex. bouche_a_oreille)",
        id="pattern",
    ),
    pytest.param(
        _set("calendar.closures.0.start", "2026-12-24T10:00"),
        "calendar.closures[0].start : « 2026-12-24T10:00 » n'est pas valide : il faut une date seule, sans "
        "heure, comme 2026-12-24",
        id="date-with-a-time",
    ),
    pytest.param(
        _set("menu.options.3.key", "12"),
        "menu.options[3].key : « 12 » n'est pas une seule touche de 0 à 9",
        id="key",
    ),
    pytest.param(_delete("helpline.number"), "helpline.number : réglage obligatoire", id="missing"),
    pytest.param(
        _set("helpline.colour", "blue"),
        "helpline.colour : ce réglage n'existe pas (valides : name, number, language, voice, timezone)",
        id="unknown-key",
    ),
    pytest.param(
        _set("operators.0.phone", "02 61 91 10 01"),
        "operators[0].phone : « 02 61 91 10 01 » n'est pas un numéro au format E.164, comme +33261910000",
        id="phone",
    ),
    pytest.param(
        _set("helpline.timezone", "Europe/Brenne"),
        "helpline.timezone : « Europe/Brenne » n'est pas un fuseau horaire comme Europe/Paris",
        id="timezone",
    ),
    pytest.param(
        _set("hours.mon", ["9h-12h30"]),
        "hours.mon : « 9h-12h30 » n'est pas une plage horaire comme 09:00-12:30",
        id="hours",
    ),
    pytest.param(
        _set("hours.tue", ["09:00-12:30", "12:00-17:00"]),
        "hours.tue : les plages qui commencent à 09:00 et à 12:00 se chevauchent",
        id="overlap",
    ),
    pytest.param(
        _set("hours.wed", ["17:30-09:00"]),
        "hours.wed : « 17:30-09:00 » finit avant de commencer",
        id="reversed-range",
    ),
    pytest.param(
        _set("privacy.caller_number", "clear"),
        "privacy.caller_number : « clear » n'est pas valide : "
        "valeurs possibles : 'full', 'masked' ou 'hashed'",
        id="choice",
    ),
    pytest.param(
        _set("transfer.voicemail_max_s", "long"),
        "transfer.voicemail_max_s : « long » n'est pas valide : il faut un nombre entier",
        id="type",
    ),
    pytest.param(
        _set("menu.options.1.key", 1),
        "menu.options : la touche 1 sert deux fois dans le même menu",
        id="duplicate-key",
    ),
    pytest.param(
        _append_options(1),
        "menu.options : un menu propose au plus 6 choix énoncés, pas 7 ; "
        "regroupez les autres dans un sous-menu",
        id="too-many-options",
    ),
    pytest.param(
        _set("menu.options.0.category", "REPASSAGE"),
        "menu.options[0].category : « REPASSAGE » n'est pas une catégorie de service (valides : ",
        id="unknown-category",
    ),
    pytest.param(
        _set("menu.options.0", {"key": 0, "say": "Tapez 0.", "category": "MAISON"}),
        "menu.options[0] : la touche 0 est gardée pour joindre un opérateur ; choisissez une touche de 1 à 9",
        id="reserved-key",
    ),
    pytest.param(
        _set("menu.options.0", {"key": 1, "say": "Tapez 1."}),
        "menu.options[0] : un choix a besoin d'un seul de 'category', 'operator: true' ou 'options'",
        id="option-without-action",
    ),
    pytest.param(
        _set("operators", []),
        "operators : « [] » n'est pas valide : il faut au moins 1 élément(s)",
        id="no-operator",
    ),
    pytest.param(
        _set("example_directory.1.communes", ["Ciron"]),
        "example_directory[1].communes : « Ciron » n'est pas un code INSEE de commune comme 36018",
        id="insee",
    ),
    pytest.param(
        _set("menu.prompt", "Un conseiller,\vtapez 0."),
        f"menu.prompt : {CONTROL} (U+000B), {CONTROL_ADVICE}",
        id="control-in-prompt",
    ),
    pytest.param(
        _set("menu.options.0.say", "Pour le ménage,\x1ftapez 1."),
        f"menu.options[0].say : {CONTROL} (U+001F), {CONTROL_ADVICE}",
        id="control-in-option",
    ),
    pytest.param(
        _set("helpline.voice", "Brigitte"),
        "helpline.voice : « Brigitte » n'est pas une voix de Twilio ; "
        "choisissez-en une comme Polly.Lea-Neural",
        id="voice",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), MISTAKES)
def test_mistake_is_named_with_its_path(edit: Edit, expected: str) -> None:
    """Each kind of mistake fails with a line naming the YAML path and what is valid."""
    message = _error_of(edit)
    assert message.startswith("config.yaml n'est pas valide :\n  ")
    assert f"\n  {expected}" in message


def test_every_mistake_is_listed_at_once() -> None:
    """Several mistakes give one message with one line each, so that one edit fixes them all."""

    def edit(data: dict[str, Any]) -> None:
        _set("menu.options.3.key", "12")(data)
        _delete("helpline.name")(data)
        _set("transfer.association_timeout_s", 2)(data)

    lines = _error_of(edit).splitlines()[1:]
    assert lines == [
        "  helpline.name : réglage obligatoire",
        "  menu.options[3].key : « 12 » n'est pas une seule touche de 0 à 9",
        "  transfer.association_timeout_s : « 2 » n'est pas valide : il faut 5 ou plus",
    ]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    """A file that is not YAML says where the syntax breaks."""
    path = tmp_path / "config.yaml"
    path.write_text("helpline:\n  name: [1001 services\nmenu: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config.yaml, ligne 3, colonne 5 : ce n'est pas du YAML valide"):
        load_config(path)


def test_missing_file_says_what_to_set(tmp_path: Path) -> None:
    """A missing file names the variable that points to it."""
    with pytest.raises(ConfigError, match="fichier introuvable ; donnez à HELPLINE_CONFIG le chemin"):
        load_config(tmp_path / "absent.yaml")


def test_not_a_mapping() -> None:
    """A YAML list or scalar is refused with the sections expected."""
    with pytest.raises(ConfigError, match=r"il faut une liste de réglages \(helpline, operators, menu"):
        parse_config("- just\n- a list\n")


def test_hashed_privacy_needs_the_secret(tmp_path: Path) -> None:
    """Hashing caller numbers without HELPLINE_CALLER_HASH_SECRET fails at start, naming the variable."""
    data = _example()
    data["privacy"]["caller_number"] = "hashed"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match="mais HELPLINE_CALLER_HASH_SECRET n'est pas défini ; donnez-lui un long secret aléatoire",
    ):
        load_helpline_config(Settings(config_path=path))
    config = load_helpline_config(Settings(config_path=path, caller_hash_secret="s3cret"))
    assert config.privacy.caller_number == "hashed"


def test_submenu_options_are_checked() -> None:
    """A sub-menu's options follow the same rules, with their nested path."""

    def edit(data: dict[str, Any]) -> None:
        data["menu"]["options"][0] = {
            "key": 1,
            "say": "Pour la maison, tapez 1.",
            "options": [
                {"key": 1, "say": "Ménage, tapez 1.", "category": "MAISON.MENAGE"},
                {"key": "x", "say": "Repassage, tapez x.", "category": "MAISON.LINGE"},
            ],
        }

    assert "menu.options[0].options[1].key : « x » n'est pas une seule touche de 0 à 9" in _error_of(edit)
