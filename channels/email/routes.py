"""`POST /webhooks/email/inbound`: a raw RFC 5322 message from a mail relay.

Authenticated with `Authorization: Bearer <inbound token>` (compared in constant time).
The body is the message itself (any content type). Answers 200 with where the mail
landed, 401 for a missing or wrong token, 422 for a body that is not a mail with a
sender (or an unknown `sender_verdict`) or whose MIME parts nest deeper than
`max_mime_depth`, 413 above the size limit. A 4xx is final: the same mail would be
refused again, so a relay must not retry it (5xx and 429 are worth retrying).

Over the size limit the body-size middleware hands this route the mail's first bytes
(channels/email/oversize.py): its header is taken in, with a note for its text, and
its sender told by a reply that it was too large, then the relay gets 413 saying so
(a repeat is a duplicate: told once). A header that cannot be read, or is longer than
those bytes, gets the 413 alone: there is nobody to tell.

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
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from channels.email.errors import UnreadableMail
from channels.email.inbound import to_inbound
from channels.email.mime_depth import MAX_MIME_DEPTH
from channels.email.oversize import BODY_CUT_KEY, header_block, header_only
from channels.messages import InboundMessage
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
        cut = request.scope.get(BODY_CUT_KEY)
        if cut is not None:
            return await _too_large(raw, cut["size"], cut["limit"], sender_verdict)
        try:
            message = read(raw, sender_verdict)
        except UnreadableMail as exc:
            raise HTTPException(422, f"not a mail we can take in: {exc}") from exc
        return await take_in(message)

    def read(raw: bytes, sender_verdict: SenderVerdict | None) -> InboundMessage:
        return to_inbound(
            raw,
            own_addresses=own_addresses,
            max_depth=max_mime_depth,
            trusted_authserv_ids=trusted_authserv_ids,
            relay_verdict=sender_verdict,
        )

    async def take_in(message: InboundMessage) -> dict[str, Any]:
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

    async def _too_large(
        head: bytes, size: int | None, limit: int, sender_verdict: SenderVerdict | None
    ) -> JSONResponse:
        refused = f"request body is larger than {limit} bytes"
        header = header_block(head)
        try:
            message = read(header, sender_verdict) if header is not None else None
        except UnreadableMail:
            message = None
        if message is None:
            reason = f"{refused}; its header could not be read, so its sender was not told"
            return JSONResponse(status_code=413, content={"error": reason, "detail": reason})
        taken = await take_in(
            header_only(
                message, size=size, limit=limit, find_it="the rest was refused at the webhook"
            )
        )
        told = "its sender was told" if taken["answered"] else "its sender was not told"
        reason = f"{refused}: its header was taken in and {told}"
        why = f" ({taken['no_reply_reason']})" if taken["no_reply_reason"] else ""
        return JSONResponse(
            status_code=413, content={"error": reason + why, "detail": reason + why, **taken}
        )

    return router
