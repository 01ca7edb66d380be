"""The voicemails' audio at Twilio: deleted through its REST API when their period is over."""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.rest import Client

logger = logging.getLogger(__name__)


class TwilioRecordings:
    """Deletes recordings of the account with twilio's `Client` (a `RecordingStore` of call_log.retention)."""

    def __init__(self, account_sid: str, auth_token: str, *, http_client: HttpClient | None = None) -> None:
        """A client of the account; `http_client` replaces twilio's own (tests pass a local stub)."""
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def delete(self, sid: str) -> bool:
        """Delete recording `sid`; True once it is gone (a 404: it already was), False if Twilio refused."""
        try:
            self.client.recordings(sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return True
            logger.warning("Could not delete recording %s at Twilio (HTTP %s): %s", sid, exc.status, exc.msg)
            return False
        except (TwilioException, OSError) as exc:
            logger.warning("Could not delete recording %s at Twilio: %r", sid, exc)
            return False
        return True
