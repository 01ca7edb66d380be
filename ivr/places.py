"""Where the service is needed: postal codes and commune names of the territory, from the shipped list.

Pure and in memory: answering a caller needs no database read.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import cache
from typing import Literal

from call_log.record import Place
from directory.reference import CommuneRow, territory_communes
from directory.territory import name_key
from foundation.text import is_ascii_digits

# La Poste's list: these postal codes also cover communes outside the park, so the code alone does not
# tell whether the person lives in the territory (see DESIGN.md, reference data).
SHARED_POSTAL_CODES = frozenset({"36170", "36310", "36500", "36800"})
NAME_MATCH_RATIO = 0.75

# How the journey's state writes `Place.in_territory` in its URLs: in, out, or not known (yet).
Territory = Literal["in", "out", "unknown"]
TERRITORIES: dict[bool | None, Territory] = {True: "in", False: "out", None: "unknown"}


@cache
def _by_postal_code() -> dict[str, tuple[CommuneRow, ...]]:
    found: dict[str, list[CommuneRow]] = {}
    for commune in territory_communes():
        found.setdefault(commune.postal_code, []).append(commune)
    return {code: tuple(communes) for code, communes in found.items()}


def communes_for(postal_code: str) -> tuple[CommuneRow, ...]:
    """The territory's communes with this postal code."""
    return _by_postal_code().get(postal_code, ())


def departement_of(postal_code: str) -> str:
    """The département of a French postal code: '36', '2A'/'2B' for Corsica, '971'... overseas."""
    if postal_code.startswith(("97", "98")):
        return postal_code[:3]
    if postal_code.startswith("20"):
        return "2A" if int(postal_code) < 20200 else "2B"
    return postal_code[:2]


def place_from_postal_code(postal_code: str) -> tuple[Place, bool]:
    """The place a postal code alone gives, and whether asking the commune's name would tell more."""
    communes = communes_for(postal_code)
    departement = departement_of(postal_code)
    if not communes:
        return Place(None, postal_code, False, departement), False
    if len(communes) == 1 and postal_code not in SHARED_POSTAL_CODES:
        return Place(communes[0].insee, postal_code, True, departement), False
    return Place(None, postal_code, None, departement), True


def in_territory(territory: str | None) -> bool | None:
    """`Place.in_territory` from the journey's in/out/unknown (None when not asked or not known)."""
    return {"in": True, "out": False}.get(territory or "")


def match_commune(postal_code: str, said: str) -> CommuneRow | None:
    """The commune of this postal code whose name the caller said, in full or by its usual short form.

    Accents, case and typos are forgiven, and so is the rest of a compound name: "Mézières" is
    Mézières-en-Brenne, "St Gaultier" Saint-Gaultier, "Gaultier" too.
    """
    spoken = name_key(said).split()
    best: tuple[float, CommuneRow | None] = (0.0, None)
    for commune in communes_for(postal_code):
        for form in spoken_forms(commune.name):
            size = len(form.split())
            windows = [" ".join(spoken[i : i + size]) for i in range(len(spoken) - size + 1)]
            ratio = max((SequenceMatcher(None, form, window).ratio() for window in windows), default=0.0)
            # The longer form said wins: "Saint-Michel" over a bare "Michel" when both would do.
            score = ratio + len(form) / 1000
            if ratio >= NAME_MATCH_RATIO and score > best[0]:
                best = (score, commune)
    return best[1]


# Words that join the parts of a compound name: what follows them is the part callers leave out.
_LINKS = frozenset({"en", "sur", "le", "la", "les", "du", "de", "des", "saint", "sainte"})
_ARTICLES = frozenset({"le", "la", "les", "l"})
_SAINTS = frozenset({"saint", "sainte"})


def spoken_forms(name: str) -> set[str]:
    """How callers say a commune's name: in full, without its article, its distinctive part (name_key form).

    "Mézières-en-Brenne": {"mezieres en brenne", "mezieres"}; "Saint-Gaultier": {"saint gaultier",
    "gaultier"}; "Le Blanc": {"le blanc", "blanc"}.
    """
    words = name_key(name).split()
    forms = {" ".join(words)}
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
        forms.add(" ".join(words))
    cut = next((i for i, word in enumerate(words) if i > 0 and word in _LINKS), len(words))
    head = words[:cut]
    forms.add(" ".join(head))
    if len(head) > 1 and head[0] in _SAINTS:
        forms.add(" ".join(head[1:]))
    if words[0] not in _SAINTS and len(words[0]) >= 5:
        forms.add(words[0])  # "Châtre" of La Châtre-Langlin
    return forms


def is_postal_code(digits: str) -> bool:
    """Five digits, in the range of French postal codes."""
    return len(digits) == 5 and is_ascii_digits(digits) and "01000" <= digits <= "98999"
