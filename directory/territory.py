"""The territory's communes: lookups by postal code and by name, whatever accents and hyphens are used."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Commune

# Spoken or typed names often abbreviate these.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}
_ARTICLES = ("le ", "la ", "les ", "l ")


def name_key(name: str) -> str:
    """A commune name reduced for comparison: no accents, case, hyphens, apostrophes; 'St' is 'Saint'."""
    # Ligatures have no decomposition (Vendœuvres is typed Vendoeuvres).
    decomposed = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    words = re.sub(r"[^a-z0-9]+", " ", bare).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def _without_article(key: str) -> str:
    for article in _ARTICLES:
        if key.startswith(article):
            return key[len(article) :]
    return key


def communes_by_postal_code(session: Session, code: str) -> list[Commune]:
    """The communes of the territory with this postal code, in alphabetical order (accents aside)."""
    query = select(Commune).where(Commune.postal_code == code.strip())
    return sorted(session.scalars(query), key=lambda commune: name_key(commune.name))


def find_commune_by_name(
    session: Session, name: str, among: Iterable[Commune] | None = None
) -> Commune | None:
    """The one commune (of `among`, or of the whole territory) called `name`, or None if none or several.

    Accents, case, hyphens and apostrophes do not matter ("chatre langlin" finds La Châtre-Langlin), nor
    does a leading article when the name is otherwise unambiguous ("Pérouille" finds La Pérouille).
    """
    key = name_key(name)
    if not key:
        return None
    communes = list(session.scalars(select(Commune))) if among is None else list(among)
    exact = [commune for commune in communes if name_key(commune.name) == key]
    if len(exact) == 1:
        return exact[0]
    if exact:
        return None
    loose = [c for c in communes if _without_article(name_key(c.name)) == _without_article(key)]
    return loose[0] if len(loose) == 1 else None
