"""How the simulator's requests reach the app: through Flask's test client, or over HTTP.

Webhooks are form POSTs answered with TwiML; media (what a <Play> plays) is a GET answered with bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests


@dataclass(frozen=True)
class WebhookResponse:
    """What the app answered to one webhook request."""

    status: int
    content_type: str
    body: str


@dataclass(frozen=True)
class MediaResponse:
    """What the app answered to one GET of a media URL."""

    status: int
    content_type: str
    body: bytes


class Transport(Protocol):
    """Delivers one form POST (or a media GET) to the app and returns its answer."""

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST `params` as a form to the absolute `url` with `headers`."""
        ...

    def get(self, url: str, headers: Mapping[str, str]) -> MediaResponse:
        """GET the absolute `url` with `headers`."""
        ...


class FlaskClientTransport:
    """Delivers webhooks through a Flask test client, without a network."""

    def __init__(self, client: Any) -> None:
        """Wrap a flask.testing.FlaskClient (duck-typed to keep Flask out of this module)."""
        self._client = client

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST through the test client so that Flask sees exactly `url` (the URL that was signed)."""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response = self._client.post(
            path, data=dict(params), headers=dict(headers), base_url=f"{parts.scheme}://{parts.netloc}"
        )
        return WebhookResponse(
            status=int(response.status_code),
            content_type=str(response.content_type or ""),
            body=str(response.get_data(as_text=True)),
        )

    def get(self, url: str, headers: Mapping[str, str]) -> MediaResponse:
        """GET through the test client, following redirects as Twilio does for media."""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response = self._client.get(
            path, headers=dict(headers), base_url=f"{parts.scheme}://{parts.netloc}", follow_redirects=True
        )
        return MediaResponse(
            int(response.status_code), str(response.content_type or ""), bytes(response.data)
        )


class HttpTransport:
    """Delivers webhooks over real HTTP with requests."""

    def __init__(self, *, timeout: float = 15.0) -> None:
        """Give up after `timeout` seconds, as Twilio does after 15 s."""
        self._timeout = timeout

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST the form over HTTP and decode the answer."""
        # No redirects: the signature covers the URL, so a redirected webhook is a bug to see, not to hide.
        response = requests.post(
            url, data=dict(params), headers=dict(headers), timeout=self._timeout, allow_redirects=False
        )
        content_type = response.headers.get("Content-Type", "")
        if "charset=" not in content_type.lower():
            # requests would assume ISO-8859-1 for text/* without a charset, but XML's default is UTF-8.
            response.encoding = "utf-8"
        return WebhookResponse(response.status_code, content_type, response.text)

    def get(self, url: str, headers: Mapping[str, str]) -> MediaResponse:
        """GET the media over HTTP (redirects followed, as Twilio does for media)."""
        response = requests.get(url, headers=dict(headers), timeout=self._timeout)
        return MediaResponse(response.status_code, response.headers.get("Content-Type", ""), response.content)
