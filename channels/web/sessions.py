"""Widget sessions as signed tokens: the server keeps no session table.

A token names one session id (the visitor's address on the web channel) and what the
visitor told us at the start (name, email). It is signed with the server's secret and
expires; a visitor holding it can only ever reach its own session's conversation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from channels.errors import InvalidSession

_SALT = "switchboard.webchat.session"


@dataclass(frozen=True, slots=True)
class WebSession:
    session_id: str
    name: str | None = None
    email: str | None = None
    verified_email: str | None = None  # proven by the host site's identity hash


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
        session = WebSession(
            session_id="ws_" + secrets.token_hex(12),
            name=name,
            email=email,
            verified_email=verified_email,
        )
        token = self._serializer.dumps(
            {"sid": session.session_id, "name": name, "email": email, "vid": verified_email}
        )
        return session, token

    def verify(self, token: str) -> WebSession:
        """Return the session a token names; raise `InvalidSession` if forged or expired."""
        try:
            data = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired as exc:
            raise InvalidSession("session token expired") from exc
        except BadSignature as exc:
            raise InvalidSession("session token invalid") from exc
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
            raise InvalidSession("session token invalid")
        return WebSession(
            session_id=data["sid"],
            name=data.get("name"),
            email=data.get("email"),
            verified_email=data.get("vid"),
        )
