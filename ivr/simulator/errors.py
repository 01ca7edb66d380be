"""What the simulator reports when the app answers something Twilio would not accept."""

from __future__ import annotations


class SimulatorError(Exception):
    """Base class of every failure the simulator reports."""


class InvalidTwiML(SimulatorError):  # noqa: N818 -- the name other modules and tests use
    """The app answered something Twilio would refuse as TwiML."""

    def __init__(self, url: str, problem: str) -> None:
        """Name the webhook URL and what is wrong in its answer."""
        super().__init__(f"Invalid TwiML from {url}: {problem}.")
        self.url = url
        self.problem = problem


class WebhookError(SimulatorError):
    """The app answered a TwiML webhook with an HTTP status other than 200."""

    def __init__(self, url: str, status: int, body: str) -> None:
        """Keep the status and body so that a failing test shows what the app said."""
        super().__init__(
            f"Webhook {url} answered HTTP {status} instead of 200, so Twilio would play its application "
            f"error: {body[:300]!r}."
        )
        self.url = url
        self.status = status
        self.body = body


class SimulationLimit(SimulatorError):  # noqa: N818 -- the name other modules and tests use
    """The call fetched more TwiML documents than allowed: the app probably loops forever."""

    def __init__(self, limit: int) -> None:
        """Say which limit was exceeded."""
        super().__init__(f"The call needed more than {limit} TwiML documents: the app must be looping.")
        self.limit = limit
