"""The recorded prompts' files, served to Twilio's <Play>: GET (and HEAD) /ivr/audio/<id>/<token>.<ext>.

A blueprint of its own: Twilio fetches media with a plain GET that carries none of its call parameters,
so the webhooks' signature check does not fit. The URL is the capability: its token is an HMAC of the
recording's id and content (`ivr.recordings.audio_token`), compared in constant time; a request signed by
Twilio (X-Twilio-Signature over the URL) is taken too. The content of a URL never changes, so it is
cached for long, by Twilio and by this process (a few files, bounded in size): a call's <Play> needs no
database read once the file has been served here.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict

from flask import Blueprint, Flask, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from foundation.runtime import runtime
from foundation.settings import Settings
from ivr.recordings import AUDIO_PREFIX, Audio, load_audio, token_matches
from ivr.webhooks.blueprint import public_base
from ivr.webhooks.events import read_database

logger = logging.getLogger(__name__)

bp = Blueprint("ivr_audio", __name__, url_prefix=AUDIO_PREFIX)

# The key of the tokens when neither HELPLINE_SECRET_KEY nor TWILIO_AUTH_TOKEN is set (development only:
# without the auth token, no webhook is answered anyway).
DEV_AUDIO_KEY = "helpline-dev-audio-key"
# A year: the URL changes with the content, so what a cache holds is never stale.
MAX_AGE_S = 365 * 24 * 3600
_NAME = re.compile(r"([0-9a-f]{32})\.(wav|mp3)")


def audio_key(settings: Settings) -> str:
    """The key of the audio URLs' tokens: HELPLINE_SECRET_KEY, else the Twilio auth token, else a dev key."""
    return settings.secret_key or settings.twilio_auth_token or DEV_AUDIO_KEY


class AudioCache:
    """The recordings served by this process, least recently served dropped first past `max_bytes`.

    A recording's row never changes once uploaded (a new file is a new row), so what is kept stays true.
    """

    def __init__(self, max_bytes: int = 32_000_000) -> None:
        """Keep at most `max_bytes` of audio."""
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, Audio] = OrderedDict()

    def get(self, recording_id: int) -> Audio | None:
        """The recording's content if this process holds it."""
        with self._lock:
            found = self._kept.get(recording_id)
            if found is not None:
                self._kept.move_to_end(recording_id)
            return found

    def put(self, recording_id: int, audio: Audio) -> None:
        """Keep `audio`, dropping the least recently served beyond the size bound."""
        with self._lock:
            self._kept[recording_id] = audio
            self._kept.move_to_end(recording_id)
            while sum(len(kept.data) for kept in self._kept.values()) > self._max_bytes and self._kept:
                self._kept.popitem(last=False)


def _cache() -> AudioCache:
    found: AudioCache = current_app.extensions["ivr.audio"]
    return found


def _signed_by_twilio(settings: Settings) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.twilio_auth_token
    if not (token and signature):
        return False
    return bool(
        RequestValidator(token).validate(f"{public_base()}{request.full_path.rstrip('?')}", {}, signature)
    )


@bp.get("/<int:recording_id>/<name>")
def audio(recording_id: int, name: str) -> Response:
    """The recording's bytes for a valid token (or Twilio's signature); 404 for anything else."""
    match = _NAME.fullmatch(name)
    if match is None:
        abort(404)
    found = _cache().get(recording_id)
    if found is None:
        try:
            found = read_database(lambda session: load_audio(session, recording_id))
        except Exception:
            # Twilio skips a <Play> it cannot fetch and goes on with the call.
            logger.exception("Could not read audio %s", recording_id)
            return Response("Try again later.\n", 503, mimetype="text/plain")
    settings = runtime().settings
    if found is None or not (
        token_matches(recording_id, found.sha256, audio_key(settings), match.group(1))
        or _signed_by_twilio(settings)
    ):
        logger.warning(
            "Refused audio %s from %s: unknown recording or bad token", recording_id, request.remote_addr
        )
        abort(404)
    _cache().put(recording_id, found)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}, immutable"
    response.set_etag(found.sha256)
    # 304 for a cache that asks with the ETag it holds.
    response.make_conditional(request)
    return response


def init_app(app: Flask) -> None:
    """Serve the recordings, with this process's cache of them."""
    app.extensions["ivr.audio"] = AudioCache()
    app.register_blueprint(bp)
