"""Text from outside: control characters the voice (XML 1.0) cannot carry, and digits that int() reads;
numbers written as French readers read them.

A vertical tab pasted from a spreadsheet into an association's name made the TwiML that says it malformed.
XML 1.0 refuses every C0 control but tab, line feed and carriage return (and U+FFFE, U+FFFF, surrogates);
DEL and the C1 controls it allows mean nothing to a voice or a reader either.
"""

from __future__ import annotations

import re

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
_CONTROL = re.compile(f"[{_CONTROLS}]")
# A run of controls with the spaces around it, so that the text keeps single spaces between its words.
_CONTROL_RUN = re.compile(f"\\s*[{_CONTROLS}][{_CONTROLS}\\s]*")


def without_controls(text: str) -> str:
    """`text` with each run of control characters (and the spaces around it) made one space."""
    return _CONTROL_RUN.sub(" ", text).strip() if _CONTROL.search(text) else text


def check_no_controls(text: str) -> str:
    """`text` unchanged; a ValueError in French naming the first control character if it holds one."""
    found = _CONTROL.search(text)
    if found is not None:
        raise ValueError(
            f"contient un caractère de contrôle invisible (U+{ord(found.group()):04X}), souvent collé depuis "
            "un tableur ou un traitement de texte : retapez le texte sans lui"
        )
    return text


def is_ascii_digits(text: str) -> bool:
    """Whether `text` is digits 0-9 only: str.isdigit() is also true of '²' or '٣', which int() refuses."""
    return text.isascii() and text.isdigit()


def french_number(value: int) -> str:
    """`value` as French prints it: 3250 is '3\u202f250', thousands apart by a narrow no-break space."""
    return f"{value:,}".replace(",", "\u202f")
