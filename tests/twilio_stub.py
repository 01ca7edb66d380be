"""Twilio's REST API in the test process: an HTTP client for `twilio.rest.Client` answering as Twilio does.

It keeps one account and its incoming phone numbers, checks the credentials on every request (401 with
Twilio's code 20003 otherwise, as the real API does), and records each request it received.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "stub-auth-token-0123456789abcdef"
ACCOUNT_NAME = "Ligne 1001 services"
NUMBER_FIELDS = (
    "voice_url",
    "voice_method",
    "voice_fallback_url",
    "voice_fallback_method",
    "status_callback",
    "status_callback_method",
)
# What the API's POST parameters (CamelCase) are called in its JSON answers.
POSTED = {"".join(part.title() for part in name.split("_")): name for name in NUMBER_FIELDS}


@dataclass(frozen=True)
class Request:
    """One request as the stub received it."""

    method: str
    path: str
    params: dict[str, Any]
    data: dict[str, Any]


@dataclass
class TwilioStub(HttpClient):  # type: ignore[misc]
    """The account ACCOUNT_SID/AUTH_TOKEN, with `numbers` (E.164 -> fields of an IncomingPhoneNumber)."""

    numbers: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    # Messages sent through the Messages API: (To, Body), in order.
    messages: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(logger=logging.getLogger(__name__), is_async=False)

    def add_number(self, number: str, **fields: str) -> str:
        """Put `number` on the account, its webhooks as given (others empty); returns its SID."""
        sid = f"PN{len(self.numbers) + 1:032x}"
        self.numbers[number] = (
            {"sid": sid, "phone_number": number} | dict.fromkeys(NUMBER_FIELDS, "") | fields
        )
        return sid

    def posted(self) -> list[Request]:
        """The requests that would have changed something."""
        return [request for request in self.requests if request.method != "GET"]

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Answer one REST request."""
        path = urlsplit(uri).path
        self.requests.append(Request(method, path, dict(params or {}), dict(data or {})))
        if auth != (ACCOUNT_SID, AUTH_TOKEN):
            return _error(401, 20003, "Authenticate")
        account = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
        if path == f"{account}.json" and method == "GET":
            return _json({"sid": ACCOUNT_SID, "friendly_name": ACCOUNT_NAME, "status": "active"})
        if path == f"{account}/IncomingPhoneNumbers.json" and method == "GET":
            wanted = (params or {}).get("PhoneNumber")
            found = [item for number, item in self.numbers.items() if wanted in (None, number)]
            return _json({"incoming_phone_numbers": found, "next_page_uri": None, "page": 0, "page_size": 50})
        if path == f"{account}/Messages.json" and method == "POST":
            to, body = str((data or {})["To"]), str((data or {})["Body"])
            self.messages.append((to, body))
            sid = f"SM{len(self.messages):032x}"
            return Response(201, json.dumps({"sid": sid, "status": "queued", "to": to, "body": body}))
        matched = re.fullmatch(rf"{account}/IncomingPhoneNumbers/(PN\w+)\.json", path)
        item = next((item for item in self.numbers.values() if matched and item["sid"] == matched[1]), None)
        if item is None:
            return _error(404, 20404, "The requested resource was not found")
        if method == "POST":
            item.update({POSTED[name]: str(value) for name, value in (data or {}).items()})
        return _json(item)


def _json(body: dict[str, Any]) -> Response:
    return Response(200, json.dumps(body))


def _error(status: int, code: int, message: str) -> Response:
    return Response(status, json.dumps({"code": code, "message": message, "status": status}))
