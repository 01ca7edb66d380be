"""The webhooks' blueprint, and what every webhook shares: the compiled journey, Twilio's form, TwiML."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from foundation.config import Config
from foundation.runtime import runtime
from foundation.text import is_ascii_digits
from ivr import twiml
from ivr.phone import usable_number
from ivr.sms import SmsSender

bp = Blueprint("ivr", __name__, url_prefix="/ivr")


def sms_sender() -> SmsSender | None:
    """What texts the caller, or None when texts are off."""
    sender: SmsSender | None = current_app.extensions.get("ivr.sms")
    return sender


def public_base() -> str:
    """The base URL Twilio reaches the app at: HELPLINE_PUBLIC_URL, else this request's host."""
    return runtime().settings.public_url or request.host_url.rstrip("/")


def line_voice(config: Config) -> twiml.Voice:
    """How the line speaks in this request: recorded prompts are played from the app's public URL."""
    return twiml.Voice.of(config, media_base=public_base())


def answer(response: VoiceResponse) -> Response:
    """The HTTP answer carrying a TwiML document."""
    return Response(str(response), mimetype="text/xml")


def int_param(value: str | None) -> int | None:
    """A whole number from Twilio's form or our own URL, or None when it is missing or not one."""
    return int(value) if value is not None and is_ascii_digits(value) and len(value) < 10 else None


def caller_number() -> str:
    """The caller's number if we can call it back, else ''."""
    return usable_number(request.form.get("From", ""))
