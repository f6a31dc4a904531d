"""Signed links to one handoff's page, for the card's "open" link: a person clicking it
in Slack has no bearer token, so the link itself carries the right to read that one
handoff, signed with the server's secret and good for a limited time.

One-time is approximated by expiry: a link keeps working until it expires (24 hours by
default, `STAFF__HANDOFF_LINK_TTL_SECONDS`); nothing is stored per link.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

_SALT = "switchboard.staff.handoff-page"
PAGE_PATH = "/staff/handoffs/{handoff_id}"


class LinkRefused(Exception):
    """The link is forged, altered, for another handoff, or expired (`expired`)."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


def _serializer(secret: str, clock: Callable[[], float]) -> URLSafeTimedSerializer:
    """A timed serializer whose signer reads the given clock (tests sign 'yesterday')."""

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return URLSafeTimedSerializer(secret, salt=_SALT, signer=ClockedSigner)


class HandoffLinks:
    """Makes and checks the signed page links of handoffs."""

    def __init__(
        self,
        secret: str,
        *,
        max_age_seconds: int,
        base_url: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._serializer = _serializer(secret, clock)
        self._max_age = max_age_seconds
        self._base_url = base_url.rstrip("/")

    def url(self, handoff_id: int) -> str:
        token = self._serializer.dumps({"h": handoff_id})
        return f"{self._base_url}{PAGE_PATH.format(handoff_id=handoff_id)}?t={token}"

    def check(self, token: str, handoff_id: int) -> None:
        """Raise `LinkRefused` unless `token` was signed here for `handoff_id` and is
        still within its lifetime."""
        try:
            data = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired as exc:
            raise LinkRefused("this link has expired", expired=True) from exc
        except BadSignature as exc:
            raise LinkRefused("this link is not valid") from exc
        if not isinstance(data, dict) or data.get("h") != handoff_id:
            raise LinkRefused("this link is not valid")
