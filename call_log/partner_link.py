"""The personal link an association gets with each referral: `/suivi/<token>`, signed and expiring.

The token carries only the referral's id and a version (so that every link can be revoked at once by
raising it); it is signed with the app's secret under a salt of its own, so no other signed value of the
app can be passed for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from foundation.clock import Clock

SALT = "1001-services.referral-follow-up-link"
VERSION = 1
LINK_LIFETIME = timedelta(days=30)


class LinkError(Exception):
    """A link that cannot be used: tampered with (`expired` False) or past its lifetime (`expired` True)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class PartnerLinks:
    """Makes and reads the links' tokens with one secret; their age is counted on the helpline's clock."""

    secret: str
    clock: Clock
    lifetime: timedelta = LINK_LIFETIME

    def _serializer(self) -> URLSafeTimedSerializer:
        clock = self.clock

        class _ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock().timestamp())

        return URLSafeTimedSerializer(self.secret, salt=SALT, signer=_ClockedSigner)

    def token(self, referral_id: int) -> str:
        """The token of a referral's link (its lifetime counts from now)."""
        return str(self._serializer().dumps({"r": referral_id, "v": VERSION}))

    def referral_id(self, token: str) -> int:
        """The referral a token is for; LinkError if it was tampered with or is too old."""
        try:
            payload = self._serializer().loads(token, max_age=int(self.lifetime.total_seconds()))
        except SignatureExpired as exc:
            raise LinkError(expired=True) from exc
        except BadSignature as exc:
            raise LinkError(expired=False) from exc
        if (
            not isinstance(payload, dict)
            or payload.get("v") != VERSION
            or not isinstance(payload.get("r"), int)
        ):
            raise LinkError(expired=False)
        return int(payload["r"])
