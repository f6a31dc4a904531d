"""`POST /webhooks/email/inbound`: a raw RFC 5322 message from a mail relay.

Authenticated with `Authorization: Bearer <inbound token>` (compared in constant time).
The body is the message itself (any content type). Answers 200 with where the mail
landed, 401 for a missing or wrong token, 422 for a body that is not a mail with a
sender (or an unknown `sender_verdict`) or whose MIME parts nest deeper than
`max_mime_depth`, 413 (from the body-size middleware) above the size limit. A 4xx is
final: the same mail would be refused again, so a relay must not retry it (5xx and 429
are worth retrying).

`?sender_verdict=pass|fail` (optional) is the relay's own verdict on the From address,
for relays that check senders themselves (DMARC, or DKIM aligned with the From domain):
`pass` makes the sender verified, `fail` unverified whatever the mail's headers say.
Without it, the mail's Authentication-Results from a trusted receiver decide
(channels/email/authentication.py). Only the relay holding the token can set it.

(No `from __future__ import annotations` here: FastAPI must see the dependency types.)
"""

import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from channels.email.errors import UnreadableMail
from channels.email.inbound import to_inbound
from channels.email.mime_depth import MAX_MIME_DEPTH
from channels.ports import MessageIntake

INBOUND_PATH = "/webhooks/email/inbound"
SenderVerdict = Literal["pass", "fail"]


def email_router(
    *,
    intake: MessageIntake,
    token: str,
    own_addresses: frozenset[str] = frozenset(),
    max_mime_depth: int = MAX_MIME_DEPTH,
    trusted_authserv_ids: frozenset[str] = frozenset(),
) -> APIRouter:
    router = APIRouter(tags=["email"])
    bearer = HTTPBearer(auto_error=False)

    def relay(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if credentials is None:
            raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
            raise HTTPException(401, "wrong token", {"WWW-Authenticate": "Bearer"})

    @router.post(
        INBOUND_PATH,
        dependencies=[Depends(relay)],
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "the raw mail, RFC 5322, as received",
                "content": {"message/rfc822": {"schema": {"type": "string"}}},
            }
        },
        responses={
            401: {"description": "missing or wrong relay token"},
            422: {"description": "not a mail that can be taken in"},
        },
    )
    async def inbound_mail(
        request: Request,
        sender_verdict: Annotated[
            SenderVerdict | None,
            Query(
                description="the relay's own check of the From address (DMARC, or DKIM "
                "aligned with the From domain): pass = verified sender, fail = not; "
                "unset: the mail's Authentication-Results from a trusted receiver decide"
            ),
        ] = None,
    ) -> dict[str, Any]:
        raw = await request.body()
        try:
            message = to_inbound(
                raw,
                own_addresses=own_addresses,
                max_depth=max_mime_depth,
                trusted_authserv_ids=trusted_authserv_ids,
                relay_verdict=sender_verdict,
            )
        except UnreadableMail as exc:
            raise HTTPException(422, f"not a mail we can take in: {exc}") from exc
        result = await intake.receive(message)
        return {
            "message_id": message.provider_message_id,
            "conversation_id": result.conversation_id,
            "duplicate": result.duplicate,
            "answered": bool(result.replies),
            # The engine's, not the adapter's: a reply cap is decided on the way in.
            "no_reply_reason": result.no_reply_reason,
            "sender_verified": message.profile.verified,
        }

    return router
