"""Only Twilio may call the webhooks: every request must carry Twilio's signature of its full URL."""

from __future__ import annotations

import logging

from flask import Response, request
from twilio.request_validator import RequestValidator

from call_log.privacy import mask_numbers
from foundation.runtime import runtime
from ivr.webhooks.blueprint import bp, public_base

logger = logging.getLogger(__name__)


@bp.before_request
def check_twilio_signature() -> Response | None:
    """Refuse (403) any request not signed by Twilio with our auth token, unless checks are off for dev."""
    settings = runtime().settings
    if settings.skip_signature_check:
        return None
    signature = request.headers.get("X-Twilio-Signature", "")
    url = signed_url()
    token = settings.twilio_auth_token
    if token and signature and RequestValidator(token).validate(url, request.form, signature):
        return None
    logger.warning(
        "Refused %s %s from %s: %s",
        request.method,
        mask_numbers(url),
        request.remote_addr,
        "missing X-Twilio-Signature" if not signature else "invalid X-Twilio-Signature",
    )
    return Response(
        "Forbidden: this URL only answers requests signed by Twilio.\n", 403, mimetype="text/plain"
    )


def signed_url() -> str:
    """The URL Twilio signed: HELPLINE_PUBLIC_URL (or this request's host) + path + query."""
    query = request.query_string.decode("latin-1")
    return f"{public_base()}{request.path}" + (f"?{query}" if query else "")
