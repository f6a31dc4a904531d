"""`POST /webhooks/email/inbound`: a raw RFC 5322 message from a mail relay.

Authenticated with `Authorization: Bearer <inbound token>` (compared in constant time).
The body is the message itself (any content type). Answers 200 with where the mail
landed, 401 for a missing or wrong token, 422 for a body that is not a mail with a
sender or whose MIME parts nest deeper than `max_mime_depth`, 413 (from the body-size
middleware) above the size limit. A 4xx is final: the same mail would be refused again,
so a relay must not retry it (5xx and 429 are worth retrying).

(No `from __future__ import annotations` here: FastAPI must see the dependency types.)
"""

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from channels.email.errors import UnreadableMail
from channels.email.inbound import to_inbound
from channels.email.mime_depth import MAX_MIME_DEPTH
from channels.ports import MessageIntake

INBOUND_PATH = "/webhooks/email/inbound"


def email_router(
    *,
    intake: MessageIntake,
    token: str,
    own_addresses: frozenset[str] = frozenset(),
    max_mime_depth: int = MAX_MIME_DEPTH,
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
    async def inbound_mail(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            message = to_inbound(raw, own_addresses=own_addresses, max_depth=max_mime_depth)
        except UnreadableMail as exc:
            raise HTTPException(422, f"not a mail we can take in: {exc}") from exc
        result = await intake.receive(message)
        return {
            "message_id": message.provider_message_id,
            "conversation_id": result.conversation_id,
            "duplicate": result.duplicate,
            "answered": bool(result.replies),
            "no_reply_reason": message.no_reply_reason,
        }

    return router
