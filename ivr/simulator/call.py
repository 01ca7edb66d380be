"""Placing simulated calls: the account, signed requests, Twilio's parameters and status callbacks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers
from twilio.request_validator import RequestValidator

from ivr.simulator.callers import Caller, DialRequest
from ivr.simulator.run import CallRun, EndReason, Leg, new_sid
from ivr.simulator.transports import MediaResponse, Transport, WebhookResponse

CallbackStatus = Literal["initiated", "ringing", "in-progress", "completed"]

# The order of a call's status callbacks, which Twilio's SequenceNumber counts.
_STATUS_ORDER: tuple[CallbackStatus, ...] = ("initiated", "ringing", "in-progress", "completed")


@dataclass(frozen=True)
class StatusCallbacks:
    """Which status callbacks Twilio posts for a call, and when, in the order they reach the app.

    Twilio posts them on its own, apart from the call's webhooks: `before` ones can reach the app before
    the call's first webhook, `after` ones once the call has ended, in any order. Their SequenceNumber
    follows the call's life (initiated, ringing, in-progress, completed), whatever order they arrive in.
    A status named twice is the same callback posted twice, identically, as Twilio retries one.
    """

    before: tuple[CallbackStatus, ...] = ()
    after: tuple[CallbackStatus, ...] = ("completed",)

    def statuses(self) -> list[CallbackStatus]:
        """The distinct statuses posted, in the order of the call's life."""
        named = {*self.before, *self.after}
        return [status for status in _STATUS_ORDER if status in named]


@dataclass(frozen=True)
class SimulatedCall:
    """The record of one simulated call, once it has ended."""

    call_sid: str
    heard: list[str]
    whispers: list[str]
    requests: list[tuple[str, dict[str, str], int]]
    documents: int
    dialled: list[DialRequest]
    ended_by: EndReason
    duration_s: int
    spoken_seconds: float
    # The highest HTTP status the call's status callbacks got (204 when all went well; 0: none posted).
    status_callback_status: int
    # What Twilio's debugger would show for the call: verbs skipped with a warning (a <Play> not fetched).
    warnings: list[str]

    @property
    def heard_text(self) -> str:
        """Everything the caller heard, one text per line."""
        return "\n".join(self.heard)


class CallSimulator:
    """Plays Twilio's role for whole calls against the app's voice webhooks."""

    def __init__(
        self,
        transport: Transport,
        *,
        base_url: str,
        auth_token: str | None,
        to: str = "+33261910000",
        from_: str = "+33639980001",
        voice_path: str = "/ivr/voice",
        status_path: str = "/ivr/status",
        max_documents: int = 60,
        account_sid: str | None = None,
        signing: bool = True,
    ) -> None:
        """Call the app at `base_url` from `from_` to the helpline number `to`, signing with `auth_token`."""
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.auth_token = auth_token
        self.to = to
        self.from_ = from_
        self.voice_path = voice_path
        self.status_path = status_path
        self.max_documents = max_documents
        self.account_sid = account_sid or new_sid("AC")
        self._validator = RequestValidator(auth_token) if auth_token and signing else None
        self._sequence: dict[str, int] = {}

    def url(self, path_or_url: str) -> str:
        """The absolute URL of a path of the app (an absolute URL is kept as is)."""
        return path_or_url if urlsplit(path_or_url).scheme else self.base_url + path_or_url

    def place_call(
        self,
        caller: Caller,
        *,
        call_sid: str | None = None,
        status_callbacks: StatusCallbacks = StatusCallbacks(),
    ) -> SimulatedCall:
        """Run a whole inbound call with `caller`, posting its status callbacks as `status_callbacks` says."""
        run = CallRun(self, call_sid or new_sid("CA"))
        # Sequence numbers go on from any callback posted for this call before (see post_status).
        first = self._sequence.get(run.call_sid, 0)
        sequences = {status: first + n for n, status in enumerate(status_callbacks.statuses())}
        self._sequence[run.call_sid] = first + len(sequences)
        posted: dict[CallbackStatus, dict[str, str]] = {}
        statuses: list[int] = []

        def post_callbacks(names: tuple[CallbackStatus, ...], duration_s: int | None) -> None:
            for name in names:
                if name not in posted:  # a retry posts exactly what the first one did
                    final = duration_s if name == "completed" else None
                    posted[name] = self._status_params(run.call_sid, name, sequences[name], final, {})
                statuses.append(run.send(self.url(self.status_path), posted[name]).status)

        post_callbacks(status_callbacks.before, None)
        leg = Leg(
            caller,
            self.base_params(run.call_sid, "ringing", self.from_, self.to, "inbound"),
            run.heard,
            is_caller=True,
        )
        ended_by = run.run_leg(leg, run.fetch(leg, self.url(self.voice_path), {}))
        duration = round(run.clock)
        post_callbacks(status_callbacks.after, duration)
        return SimulatedCall(
            call_sid=run.call_sid,
            heard=run.heard,
            whispers=run.whispers,
            requests=run.requests,
            documents=run.documents,
            dialled=run.dialled,
            ended_by=ended_by,
            duration_s=duration,
            spoken_seconds=run.spoken,
            status_callback_status=max(statuses, default=0),
            warnings=run.warnings,
        )

    def post(
        self, path_or_url: str, params: Mapping[str, str], *, forge_signature: bool = False, sign: bool = True
    ) -> WebhookResponse:
        """POST `params` as Twilio would: signed (or unsigned, or with a forged signature, for tests)."""
        url = self.url(path_or_url)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1"}
        if forge_signature:
            forger = RequestValidator(f"forged-{self.auth_token or ''}")
            headers["X-Twilio-Signature"] = str(forger.compute_signature(url, dict(params)))
        elif sign and self._validator is not None:
            headers["X-Twilio-Signature"] = str(self._validator.compute_signature(url, dict(params)))
        return self.transport.post(url, dict(params), headers)

    def get(self, url: str) -> MediaResponse:
        """GET a media URL as Twilio fetches a <Play>'s file: none of the call's parameters, no login."""
        return self.transport.get(self.url(url), {"User-Agent": "TwilioProxy/1.1"})

    def post_status(
        self,
        call_sid: str,
        status: str,
        *,
        sequence_number: int | None = None,
        duration_s: int | None = None,
        **extra: str,
    ) -> WebhookResponse:
        """POST a status callback for `call_sid`; the sequence number counts on per call unless given."""
        params = self._status_params(call_sid, status, sequence_number, duration_s, extra)
        return self.post(self.status_path, params)

    def base_params(self, call_sid: str, status: str, from_: str, to: str, direction: str) -> dict[str, str]:
        """The parameters Twilio sends with every request about a call."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": call_sid,
            "CallStatus": status,
            "Direction": direction,
            "From": from_,
            "To": to,
            "Caller": from_,
            "Called": to,
        }
        for prefix, number in (("From", from_), ("Caller", from_), ("To", to), ("Called", to)):
            params |= {
                f"{prefix}Country": _country(number),
                f"{prefix}City": "",
                f"{prefix}State": "",
                f"{prefix}Zip": "",
            }
        return params

    def _status_params(
        self,
        call_sid: str,
        status: str,
        sequence: int | None,
        duration_s: int | None,
        extra: Mapping[str, str],
    ) -> dict[str, str]:
        if sequence is None:
            sequence = self._sequence.get(call_sid, 0)
        self._sequence[call_sid] = max(self._sequence.get(call_sid, 0), sequence + 1)
        params = self.base_params(call_sid, status, self.from_, self.to, "inbound")
        params |= {
            "SequenceNumber": str(sequence),
            "Timestamp": format_datetime(datetime.now(UTC)),
            "CallbackSource": "call-progress-events",
        }
        if duration_s is not None:
            params |= {"CallDuration": str(duration_s), "Duration": str(math.ceil(duration_s / 60))}
        return params | dict(extra)


def _country(number: str) -> str:
    if number.startswith("+33"):
        return "FR"
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""
