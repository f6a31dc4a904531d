"""Widget sessions as signed tokens: the server keeps no session table.

A token names one session id (the visitor's address on the web channel) and what the
visitor told us at the start (name, email). It is signed with the server's secret and
expires; a visitor holding it can only ever reach its own session's conversation. It
also carries when it was issued, to the microsecond, so staff can revoke every token of a
customer issued before a moment (see `revocations.py`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from channels.errors import InvalidSession

_SALT = "switchboard.webchat.session"


@dataclass(frozen=True, slots=True)
class WebSession:
    session_id: str
    name: str | None = None
    email: str | None = None
    verified_email: str | None = None  # proven by the host site's identity hash
    issued_at: datetime | None = None  # when the token was signed


class SessionSigner:
    def __init__(self, secret_key: str, *, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self._max_age = max_age_seconds

    def start(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        verified_email: str | None = None,
    ) -> tuple[WebSession, str]:
        issued = time.time()
        session = WebSession(
            session_id="ws_" + secrets.token_hex(12),
            name=name,
            email=email,
            verified_email=verified_email,
            issued_at=datetime.fromtimestamp(issued, UTC),
        )
        token = self._serializer.dumps(
            {
                "sid": session.session_id,
                "name": name,
                "email": email,
                "vid": verified_email,
                "iat": issued,
            }
        )
        return session, token

    def verify(self, token: str) -> WebSession:
        """Return the session a token names; raise `InvalidSession` if forged or expired."""
        try:
            data, signed_at = self._serializer.loads(
                token, max_age=self._max_age, return_timestamp=True
            )
        except SignatureExpired as exc:
            raise InvalidSession("session token expired") from exc
        except BadSignature as exc:
            raise InvalidSession("session token invalid") from exc
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
            raise InvalidSession("session token invalid")
        # Tokens signed before "iat" existed: the signature's own time, in whole seconds.
        issued = data.get("iat")
        issued_at = (
            datetime.fromtimestamp(issued, UTC)
            if isinstance(issued, int | float) and not isinstance(issued, bool)
            else signed_at
        )
        return WebSession(
            session_id=data["sid"],
            name=data.get("name"),
            email=data.get("email"),
            verified_email=data.get("vid"),
            issued_at=issued_at,
        )
