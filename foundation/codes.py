"""Stored codes with the French words users read for them: the base of every code list of the helpline.

Each code is a `StrEnum` member: it is stored as its string, compares equal to it, and carries the label a
user reads. Stored values come back from the database as plain strings; `Code.label_of` gives their words.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Code(StrEnum):
    """A stored code with the French words users read for it."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Every code of this kind with its words, in definition order."""
        return {member.value: member.label for member in cls}

    @classmethod
    def label_of(cls, code: str | None, *, missing: str = "—") -> str:
        """The words for a stored code; the code itself if it is not one of ours, `missing` for nothing."""
        if code is None or code == "":
            return missing
        member = cls._value2member_map_.get(code)
        return member.label if isinstance(member, Code) else code
