"""The shape of the helpline's demand, as relative weights the generator draws from.

More calls in autumn, on Monday mornings and early afternoons; home help and autonomy first; most callers
call for a relative; nearly every contact comes through the voice menu.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TypeVar

from call_log.codes import Beneficiary, Channel, HeardFrom

T = TypeVar("T")

# By month of the year (January first), by weekday (Monday first) and by hour of the day.
SEASON = (1.0, 1.0, 1.05, 1.1, 1.1, 1.0, 0.8, 0.7, 1.2, 1.25, 1.15, 0.85)
WEEKDAY = (1.35, 1.15, 1.0, 1.05, 0.95, 0.3, 0.15)
HOUR = (0, 0, 0, 0, 0, 0, 0.2, 0.6, 2.2, 3.2, 3.0, 2.6,
        1.3, 1.4, 2.6, 2.8, 2.4, 1.8, 0.9, 0.5, 0.3, 0.2, 0.1, 0)  # fmt: skip
# Top-level service categories of the example directory.
CATEGORIES = {
    "MAISON": 28,
    "AUTONOMIE": 22,
    "EXTERIEUR": 16,
    "COURSES_REPAS": 10,
    "TRANSPORT": 9,
    "ENFANTS": 6,
    "SANTE": 4,
    "DEMARCHES": 3,
    "AUTRE": 2,
}
BENEFICIARIES = {
    Beneficiary.RELATIVE: 55,
    Beneficiary.SELF: 33,
    Beneficiary.PROFESSIONAL: 8,
    Beneficiary.OTHER: 4,
}
# The menu's default answers only: the others are those an operator records.
HEARD_FROM = {
    HeardFrom.TOWN_HALL: 30,
    HeardFrom.WORD_OF_MOUTH: 25,
    HeardFrom.PRESS: 12,
    HeardFrom.INTERNET: 15,
    HeardFrom.SHOP: 8,
    HeardFrom.OTHER: 10,
}
CHANNELS = {Channel.IVR: 94, Channel.PHONE: 3, Channel.VISIT: 1.5, Channel.EMAIL: 1, Channel.LETTER: 0.5}
# Where callers calling for a relative live, by département and area (most live away from the park).
AWAY = (("75", "Paris"), ("37", "Tours"), ("45", "Orléans"), ("86", "Poitiers"), ("87", "Limoges"),
        ("36", "Châteauroux"), ("92", "Hauts-de-Seine"), ("33", "Bordeaux"))  # fmt: skip
# The départements of beneficiaries outside the park (Indre first: the park is only part of it).
OUTSIDE_DEPARTEMENTS = ("36", "36", "36", "37", "86", "87", "18", "23")


def weighted(options: Mapping[T, float]) -> Callable[[random.Random], T]:
    """A draw among the keys of `options`, each as likely as its weight."""
    keys, weights = list(options), list(options.values())
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    return lambda rng: rng.choices(keys, cum_weights=cumulative)[0]
