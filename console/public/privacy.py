"""The public site's privacy page: what the helpline records, why, for how long, who sees it, the rights."""

from __future__ import annotations

from email.utils import parseaddr

from flask import render_template
from flask.typing import ResponseReturnValue

from console.public.blueprint import bp
from foundation.runtime import runtime
from ivr.privacy_notice import days_in_words

# How the caller's number is kept, by privacy.caller_number, in words a visitor reads.
_CALLER_NUMBER = {
    "full": "votre numéro de téléphone, en entier",
    "masked": "votre numéro de téléphone, en partie caché (nous ne gardons que ses premiers chiffres et "
    "ses deux derniers)",
    "hashed": "un code tiré de votre numéro, qui ne permet pas de le retrouver, jamais le numéro lui-même",
}


@bp.get("/confidentialite")
def privacy() -> ResponseReturnValue:
    """Vos données : what is recorded and why, the legal basis, retention, who sees it, the rights."""
    config = runtime().config
    retention = config.privacy.retention
    return render_template(
        "public/privacy.html",
        caller_number=_CALLER_NUMBER[config.privacy.caller_number],
        identifying=days_in_words(retention.identifying_days),
        recordings=days_in_words(retention.recordings_days),
        notes=days_in_words(retention.notes_days),
        contact_email=parseaddr(config.privacy.contact_email)[1] if config.privacy.contact_email else None,
        postal_address=config.privacy.postal_address,
        suppress_below=config.reports.suppress_below,
    )
