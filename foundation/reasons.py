"""Why something failed, in French, for staff: the system's reasons, which Python gives in English.

`OSError.strerror` is English whatever the locale; `system_error` names the usual ones as staff would,
and `DeliveryError` is a message (e-mail or text) that could not go, its text saying why in French.
"""

from __future__ import annotations

import errno

SYSTEM_ERRORS: dict[int, str] = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "accès refusé (droits du fichier ou du dossier)",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EEXIST: "le fichier existe déjà",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EROFS: "disque en lecture seule",
    errno.ECONNREFUSED: "connexion refusée (le serveur est-il lancé ?)",
    errno.ETIMEDOUT: "pas de réponse dans le délai",
    errno.EHOSTUNREACH: "machine injoignable",
    errno.ENETUNREACH: "réseau injoignable",
}


def system_error(exc: OSError) -> str:
    """Why a file or connection failed, in French."""
    if isinstance(exc, TimeoutError) and exc.errno is None:
        return SYSTEM_ERRORS[errno.ETIMEDOUT]
    if exc.errno in SYSTEM_ERRORS:
        return SYSTEM_ERRORS[exc.errno]
    return f"erreur du système (code {exc.errno})" if exc.errno else "erreur du système ou du réseau"


class DeliveryError(Exception):
    """A message (an e-mail, a text) could not be sent; its text says why, in French, for staff."""
