"""Matching what a caller says to a service category: accent- and case-insensitive, typo-tolerant.

Pure: the vocabulary is built once from the taxonomy (labels and French synonyms), then each utterance is
scored against it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from call_log.codes import Beneficiary

# Words that carry no meaning for the choice of a service ("je cherche quelqu'un pour ma mère").
STOPWORDS = frozenset(
    """a au aux avec ce cette d de des du en est et il j je l la le les m ma me mes mon n ne nous on ou
    par pas pour qu que quelqu quelque qui sa se ses son sur t ta te tes ton un une vos votre vous y
    besoin cherche chercherais voudrais veux souhaite aimerais faudrait faut bonjour merci svp plait
    quelqu un personne mere pere maman papa parents fils fille femme mari madame monsieur chez moi lui elle
    aussi bien tres peu plus maison""".split()
)
# Kept out of STOPWORDS above for categories whose synonyms need them alone ("aide à domicile" still
# scores on "aide"), but worth less than a specific word.
WEAK_WORDS = frozenset({"aide", "service", "services", "soins", "petit", "petits", "travaux"})
FUZZY_RATIO = 0.88
# Endings that turn a word into its plural or a verb form: enfant(s), garde(r), course(s).
INFLECTIONS = frozenset({"s", "x", "r", "e"})


def normalize(text: str) -> list[str]:
    """Lower-case words without accents or punctuation: "Aide à domicile" -> ['aide', 'a', 'domicile']."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.findall(r"[a-z0-9]+", plain.replace("œ", "oe"))


def _meaningful(words: Iterable[str]) -> list[str]:
    return [word for word in words if word not in STOPWORDS and len(word) > 1]


@dataclass(frozen=True)
class Term:
    """One label or synonym of a category, as meaningful words."""

    category: str
    words: tuple[str, ...]
    phrase: str


@dataclass(frozen=True)
class Match:
    """The category an utterance most likely asks for, and how sure we are (0-1)."""

    category: str
    score: float
    runner_up: str | None = None
    runner_up_score: float = 0.0


class SpeechMatcher:
    """Scores utterances against the labels and synonyms of service categories."""

    def __init__(self, entries: Iterable[tuple[str, Sequence[str]]]) -> None:
        """`entries`: (category code, its phrases: label and synonyms)."""
        terms: list[Term] = []
        for category, phrases in entries:
            for phrase in phrases:
                words = tuple(_meaningful(normalize(phrase)))
                if words:
                    terms.append(Term(category, words, phrase))
        self.terms = tuple(terms)
        # Sorted once: every menu question hints them.
        by_length = sorted(self.terms, key=lambda t: (len(t.phrase), t.phrase))
        self._hints = tuple(dict.fromkeys(term.phrase for term in by_length if len(term.phrase) <= 40))

    def hints(self, limit: int = 100) -> list[str]:
        """Phrases to hint Twilio's recogniser with: the synonyms as people say them, short ones first."""
        return list(self._hints[:limit])

    def match(self, utterance: str) -> Match | None:
        """The best category for `utterance`, or None if no word of it means anything to us."""
        spoken = _meaningful(normalize(utterance))
        if not spoken:
            return None
        best: dict[str, tuple[float, int]] = {}
        for term in self.terms:
            score = (_term_score(term.words, spoken), len(term.words))
            if score > best.get(term.category, (0.0, 0)):
                best[term.category] = score
        # Best score first; on a tie, the term with more words matched, then the more specific category.
        ranked = [
            (code, score)
            for code, (score, _) in sorted(
                best.items(), key=lambda item: (-item[1][0], -item[1][1], -item[0].count("."), item[0])
            )
        ]
        if not ranked or ranked[0][1] == 0:
            return None
        first_code, first_score = ranked[0]
        # The runner-up that matters is another family: a parent and its child agree with each other.
        family = first_code.split(".")[0]
        rivals = [(code, score) for code, score in ranked[1:] if code.split(".")[0] != family and score > 0]
        rival_code, rival_score = rivals[0] if rivals else (None, 0.0)
        return Match(first_code, round(first_score, 3), rival_code, round(rival_score, 3))


def _weight(word: str) -> float:
    return 0.4 if word in WEAK_WORDS else 1.0


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < 4:
        return False
    if long.startswith(short) and long[len(short) :] in INFLECTIONS:
        return True
    # Typos of the recogniser or the caller: "repasage" ~ "repassage".
    return len(short) >= 6 and SequenceMatcher(None, a, b).ratio() >= FUZZY_RATIO


def _term_score(term: Sequence[str], spoken: Sequence[str]) -> float:
    """Weighted share of the term's words that the caller said (fuzzily)."""
    total = sum(_weight(word) for word in term)
    found = sum(_weight(word) for word in term if any(_similar(word, said) for said in spoken))
    return found / total if total else 0.0


# For whom the caller asks, when they say it with the service ("du repassage pour ma mère"). A possessive
# and a relation: family, in-laws included; a friend or neighbour with any determiner. "Ma femme de
# ménage" is a service, not a relative.
_RELATIVE = re.compile(
    r" (?:(?:ma|mon|mes|notre|nos) (?:(?:grand|grands|arriere|belle|beau|petite|petit) )?"
    r"(?:mere|pere|parents|fille|fils|soeur|frere|tante|oncle|mari|epouse|epoux|femme(?! de menage)"
    r"|cousin|cousine|niece|neveu|maman|papa|mamie|papi|papy)"
    r"|(?:un|une|mon|ma|mes) (?:voisin|voisine|voisins|ami|amie|amis|proche|proches)"
    r"|maman|papa|mamie|papi|papy) "
)
_SELF = re.compile(r" (?:pour moi|moi meme|chez moi) ")


def beneficiary_in(utterance: str) -> Beneficiary | None:
    """For whom `utterance` asks, if it says so: a relative (ma mère, un voisin...) or oneself (pour moi)."""
    spoken = f" {' '.join(normalize(utterance))} "
    relative, self = _RELATIVE.search(spoken), _SELF.search(spoken)
    if relative and not self:
        return Beneficiary.RELATIVE
    if self and not relative:
        return Beneficiary.SELF
    return None  # neither said, or both ("pour moi et ma mère"): the question will tell
