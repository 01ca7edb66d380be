"""A person who wrote through the web form with an e-mail address only is found, and erased, by it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from tests.public.conftest import MakeClient
from tests.public.test_web_form import REQUEST, send, web_calls
from tests.test_retention import _cli

EMAIL_ONLY = {**REQUEST, "phone": "", "email": "Camille.Martin@example.org"}


def test_the_cli_finds_and_erases_a_request_by_its_address(
    make_client: MakeClient, sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    """Found by the address in any case; not by an address that only starts or ends like it; erased, the
    request keeps its coded fields and loses the address."""
    client = make_client(mode="queue")
    assert send(client, EMAIL_ONLY).status_code == 302
    assert send(client, {**EMAIL_ONLY, "email": "camille.martin@example.org.evil.test"}).status_code == 302
    assert send(client, {**EMAIL_ONLY, "email": "xcamille.martin@example.org"}).status_code == 302
    mine, longer, other = web_calls(sessions)

    found = tmp_path / "personne.txt"
    result = _cli(database_url, "privacy", "find", "camille.martin@EXAMPLE.org", "--output", str(found))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"1 appel(s) lié(s) à l'adresse camille.martin@example.org : écrit dans {found}.\n"
    )
    text = found.read_text(encoding="utf-8")
    assert text.startswith("1001 services : données liées à l'adresse camille.martin@example.org\n")
    assert "Courriel : Camille.Martin@example.org" in text

    erased = _cli(database_url, "privacy", "erase", "camille.martin@example.org", "--yes")
    assert erased.exit_code == 0, erased.output
    assert erased.output.startswith("1 appel(s) lié(s) à l'adresse camille.martin@example.org.\nEffacé :\n")
    after = {call.id: call for call in web_calls(sessions)}
    assert not after[mine.id].notes
    assert (after[mine.id].category_code, after[mine.id].commune_insee) == ("MAISON", "36053")
    assert "camille.martin@example.org.evil.test" in (after[longer.id].notes or "")
    assert "xcamille.martin@example.org" in (after[other.id].notes or "")
    again = _cli(database_url, "privacy", "erase", "camille.martin@example.org", "--yes")
    assert again.output == "Aucun appel n'est lié à l'adresse camille.martin@example.org : rien à effacer.\n"


def test_a_bad_address_is_named(database_url: str) -> None:
    """Neither a number nor an address: the CLI says which forms it takes."""
    result = _cli(database_url, "privacy", "find", "camille@", "--output", "/dev/null")
    assert result.exit_code != 0
    assert "« camille@ » n'est pas une adresse de courriel comme prenom.nom@exemple.fr." in result.output
