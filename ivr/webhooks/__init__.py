"""Twilio's webhooks: the voice journey, transfers with screening, voicemail, status and fallback callbacks.

Thin adapters: the menu engine and the transfer plan decide, `twiml` renders, `call_log` and `directory`
record and route. Two rules hold everywhere: a voice webhook always answers valid TwiML that leads to a
human, a voicemail or a spoken goodbye (`safety_net`), and writing the call log never delays or breaks the
call (`events`: the database gets a budget of time, and what it cannot take waits in the journal).

One blueprint under /ivr: `security` checks every request's signature, `journey` answers a new call and
each step of the menu, `transfers` rings the associations then the operators, `screening` is what they hear
before taking the call, `voicemail` takes a message to call back, `status` keeps Twilio's status callbacks.
`audio`, a blueprint of its own under /ivr/audio, serves the recorded prompts that the TwiML plays.
"""

from __future__ import annotations

import logging

from flask import Flask

from directory.snapshot import DirectoryCache
from foundation.config import Config
from ivr.journey_writes import journey_actions
from ivr.sms import TwilioSms
from ivr.staff_settings import EffectiveCache

# Importing these modules adds their routes and hooks to the blueprint.
from ivr.webhooks import journey, safety_net, screening, security, status, transfers, voicemail  # noqa: F401
from ivr.webhooks.audio import audio_key
from ivr.webhooks.audio import init_app as init_audio
from ivr.webhooks.blueprint import bp

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the webhooks and the cache of what calls hear."""
    config: Config = app.extensions["helpline"].config
    # What calls hear: config.yaml under the staff's newest settings, compiled once per version.
    settings = app.extensions["helpline"].settings
    app.extensions["ivr.settings"] = EffectiveCache(config, audio_key=audio_key(settings))
    app.extensions["ivr.actions"] = journey_actions(caller_key_secret=settings.caller_key_secret)
    app.extensions["ivr.sms"] = None
    app.extensions["ivr.directory"] = DirectoryCache()
    if config.sms.enabled:
        if settings.twilio_account_sid and settings.twilio_auth_token:
            app.extensions["ivr.sms"] = TwilioSms(
                account_sid=settings.twilio_account_sid,
                auth_token=settings.twilio_auth_token,
                from_=config.helpline.number,
            )
        else:
            logger.warning(
                "sms.enabled is set but TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is not: no texts sent."
            )
    app.register_blueprint(bp)
    init_audio(app)
