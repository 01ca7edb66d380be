"""Why something failed, in French, for staff: the system's reasons, which Python gives in English.

`OSError.strerror` is English whatever the locale; `system_error` names the usual ones as staff would,
and `DeliveryError` is a message (e-mail or text) that could not go, its text saying why in French.
"""

from __future__ import annotations

import errno
import socket

SYSTEM_ERRORS: dict[int, str] = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "accès refusé (droits du fichier ou du dossier)",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EEXIST: "un fichier porte déjà ce nom",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EROFS: "disque en lecture seule",
    errno.ECONNREFUSED: "connexion refusée (le serveur est-il lancé ?)",
    errno.ETIMEDOUT: "pas de réponse dans le délai",
    errno.EHOSTUNREACH: "machine injoignable",
    errno.ENETUNREACH: "réseau injoignable",
}


def system_error(exc: BaseException) -> str:
    """Why a file or connection failed, in French, from the error or what it wraps (requests wraps the
    socket's error in urllib3's, in its cause, context, `reason` or first argument)."""
    for found in _wrapped(exc):
        if isinstance(found, socket.gaierror):
            return "nom de serveur inconnu (vérifiez l'adresse)"
        if isinstance(found, OSError) and found.errno in SYSTEM_ERRORS:
            return SYSTEM_ERRORS[found.errno]
        if isinstance(found, TimeoutError):
            return SYSTEM_ERRORS[errno.ETIMEDOUT]
    code = exc.errno if isinstance(exc, OSError) else None
    return f"erreur du système (code {code})" if code else "erreur du système ou du réseau"


def _wrapped(exc: BaseException, depth: int = 6) -> list[BaseException]:
    """`exc` and the errors it wraps, nearest first."""
    found: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(found) < depth:
        current = todo.pop(0)
        if current in found:
            continue
        found.append(current)
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args[:1]]
        todo += [error for error in inner if isinstance(error, BaseException)]
    return found


class DeliveryError(Exception):
    """A message (an e-mail, a text) could not be sent; its text says why, in French, for staff."""
