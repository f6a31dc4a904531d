"""Web chat: HTTP endpoints, the widget's WebSocket and the widget script."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from importlib.resources import files
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from fastapi import (
    APIRouter,
    Depends,
    HTTPException,
    Query,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, EmailStr, Field, ValidationError, field_validator

from channels.errors import InvalidSession
from channels.json_depth import MAX_JSON_DEPTH, JsonTooDeep, check_json_depth
from channels.messages import Channel, IntakeResult
from channels.ports import ConversationFeed, MessageIntake
from channels.text import MessageText, StorableStr
from channels.throttling import retry_after_seconds, too_many
from channels.web.availability import Availability, AvailabilityNow, always_available
from channels.web.carried import CarriedMessages
from channels.web.hub import CATCH_UP, SessionHub
from channels.web.identity import identity_matches
from channels.web.inbound import MessageTooLong, to_inbound
from channels.web.limits import UNLIMITED, WebChatLimits
from channels.web.revocations import SessionCheck, SessionRevocations
from channels.web.sessions import SessionSigner, WebSession
from crm_store.base import MAX_ID

log = logging.getLogger(__name__)

_STATIC = files("channels.web") / "static"
_HELLO_TIMEOUT_SECONDS = 10.0
# Everything the widget calls lives under here (CORS opens this prefix to every origin).
WIDGET_API_PREFIX = "/api/v1/webchat"
# RFC 6455's "Try Again Later": the store is unavailable; reconnect after a while.
_TRY_AGAIN_LATER = 1013


def _never(_: BaseException) -> bool:
    return False


class SessionRequest(BaseModel):
    name: StorableStr | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    # A signed-in user of the host site: their email, and the host's HMAC of it exactly
    # as written here (so no normalising before the check).
    identifier: StorableStr | None = Field(default=None, max_length=320)
    identifier_hash: str | None = Field(default=None, max_length=128)

    @field_validator("identifier")
    @classmethod
    def _an_email(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                validate_email(value, check_deliverability=False)
            except EmailNotValidError as exc:
                raise ValueError(f"identifier must be an email address: {exc}") from exc
        return value


class SessionResponse(BaseModel):
    session_id: str
    token: str


class MessageRequest(BaseModel):
    client_message_id: StorableStr = Field(min_length=1, max_length=100)
    text: MessageText = Field(min_length=1)


def _intake_json(result: IntakeResult) -> dict[str, Any]:
    return {
        "conversation_id": result.conversation_id,
        "duplicate": result.duplicate,
        "message": result.message.to_json(),
        "replies": [reply.to_json() for reply in result.replies],
    }


def webchat_router(
    *,
    intake: MessageIntake,
    feed: ConversationFeed,
    signer: SessionSigner,
    hub: SessionHub,
    max_text_length: int,
    identity_secret: str | None = None,
    limits: WebChatLimits = UNLIMITED,
    max_json_depth: int = MAX_JSON_DEPTH,
    revocations: SessionRevocations | None = None,
    is_outage: Callable[[BaseException], bool] = _never,
    retry_after_seconds: int = 5,
    availability: AvailabilityNow = always_available,
    carried: CarriedMessages | None = None,
) -> APIRouter:
    """The widget's API and socket. Over a limit of `limits`: 429 with Retry-After over
    HTTP, an error frame with `retry_after` on the socket; the refused message is not
    stored. Without `revocations` a token counts until it expires. `is_outage` tells an
    error of an unavailable store (the socket then closes with 1013 Try Again Later and
    the reason; the HTTP routes leave it to the app's 503 handler). `availability` says
    whether people answer now (the widget's status line). `carried`: a new signed-in
    session's first read (socket replay or HTTP, from seq 0) is first given the
    customer's web campaign messages no widget has shown (carried.py)."""
    router = APIRouter(tags=["web chat"])
    bearer = HTTPBearer(auto_error=False)
    check = SessionCheck(signer, revocations)

    async def current_session(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> WebSession:
        if credentials is None:
            raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
        try:
            return await check.session(credentials.credentials)
        except InvalidSession as exc:
            raise HTTPException(401, str(exc), {"WWW-Authenticate": "Bearer"}) from exc

    @router.post(
        f"{WIDGET_API_PREFIX}/sessions",
        response_model=SessionResponse,
        responses={
            403: {"description": "identity verification is off, or the hash does not match"}
        },
    )
    async def start_session(
        request: Request, body: SessionRequest | None = None
    ) -> SessionResponse:
        if wait := limits.session_start(request):
            raise too_many("new chat sessions from this address", wait)
        body = body or SessionRequest()
        verified_email = None
        if body.identifier is not None or body.identifier_hash is not None:
            if body.identifier is None or body.identifier_hash is None:
                raise HTTPException(422, "identifier and identifier_hash go together")
            if identity_secret is None:
                raise HTTPException(403, "identity verification is not configured")
            if not identity_matches(identity_secret, body.identifier, body.identifier_hash):
                raise HTTPException(403, "identifier_hash does not match identifier")
            verified_email = body.identifier.lower()
        session, token = signer.start(
            name=body.name, email=body.email, verified_email=verified_email
        )
        return SessionResponse(session_id=session.session_id, token=token)

    @router.get(f"{WIDGET_API_PREFIX}/availability", response_model=Availability)
    async def people_availability() -> Availability:
        """Whether a person answers now, and outside hours when they are back."""
        return availability()

    @router.post(f"{WIDGET_API_PREFIX}/messages")
    async def send_message(
        body: MessageRequest, session: Annotated[WebSession, Depends(current_session)]
    ) -> dict[str, Any]:
        try:
            inbound = to_inbound(
                session, body.client_message_id, body.text, max_text_length=max_text_length
            )
        except MessageTooLong as exc:
            raise HTTPException(413, str(exc)) from exc
        if wait := limits.message(session.session_id):
            raise too_many("messages in this chat session", wait)
        return _intake_json(await intake.receive(inbound))

    @router.get(f"{WIDGET_API_PREFIX}/messages")
    async def read_messages(
        session: Annotated[WebSession, Depends(current_session)],
        after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> dict[str, Any]:
        await _carry(carried, session, after)
        conversation_id, messages = await feed.messages_after(
            Channel.WEB, session.session_id, after
        )
        return {
            "conversation_id": conversation_id,
            "messages": [message.to_json() for message in messages],
        }

    @router.websocket(f"{WIDGET_API_PREFIX}/ws")
    async def widget_socket(websocket: WebSocket) -> None:
        await websocket.accept()
        socket = _WidgetSocket(
            websocket,
            intake,
            feed,
            check,
            hub,
            max_text_length,
            limits=limits,
            max_json_depth=max_json_depth,
            carried=carried,
        )
        try:
            await socket.serve()
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.error("widget socket closed: the store is unavailable", extra={"error": str(exc)})
            await socket.close_unavailable(retry_after_seconds)

    return router


async def _carry(carried: CarriedMessages | None, session: WebSession, after: int) -> None:
    """Before a signed-in session's read from the start: the campaign messages meant
    for its customer that no widget showed (a session that has seen seqs is not new)."""
    if carried is not None and after == 0 and session.verified_email is not None:
        await carried.carry_into(session)


class _HelloFrame(BaseModel):
    type: str
    token: str
    after: int = Field(default=0, ge=0, le=MAX_ID)


class _MessageFrame(BaseModel):
    type: str
    client_message_id: StorableStr = Field(min_length=1, max_length=100)
    text: MessageText = Field(min_length=1)


class _WidgetSocket:
    """One widget connection.

    Protocol (JSON frames):
      client: {"type": "hello", "token": T, "after": SEQ}   first frame, within 10 s
      server: {"type": "ready", "session_id", "conversation_id"} then every message with
              seq > SEQ ({"type": "message", ...}), then live messages as they are sent
      client: {"type": "message", "client_message_id": ID, "text": ...}
      server: {"type": "ack", "client_message_id": ID, "seq": N, "conversation_id"} once
              the message is stored and answered (a resend of ID gets the same ack)
      server: {"type": "error", "status": 4xx, "reason": ..., "client_message_id"?}
              status 429 (too many messages) adds "retry_after" (seconds): the message
              was not stored; send it again (same id) after that long
      client: {"type": "ping"} -> server: {"type": "pong"}
    Close codes: 4400 bad hello, 4401 bad token (also when staff revoke the session: at
    once on this process, at the next message on another), 4409 resync needed (reconnect
    + replay).
    A signed-in session new to the store first gets, copied into its conversation,
    its customer's web campaign messages no widget has shown (carried.py), so its
    replay from 0 holds them; and a web campaign message another session showed is
    left out of every read (its seq is a gap the widget's catch-up steps over).
    Live pushes start once the replay is sent (wake-ups meanwhile wait, then read
    after the last seq replayed). The sender's own message comes back as a push to its
    other tabs: clients dedupe by seq.
    """

    def __init__(
        self,
        websocket: WebSocket,
        intake: MessageIntake,
        feed: ConversationFeed,
        check: SessionCheck,
        hub: SessionHub,
        max_text_length: int,
        *,
        limits: WebChatLimits = UNLIMITED,
        max_json_depth: int = MAX_JSON_DEPTH,
        carried: CarriedMessages | None = None,
    ) -> None:
        self._ws = websocket
        self._carried = carried
        self._intake = intake
        self._feed = feed
        self._check = check
        self._hub = hub
        self._max_text_length = max_text_length
        self._limits = limits
        self._max_json_depth = max_json_depth
        self._send_lock = asyncio.Lock()
        self._seen = 0  # the highest seq sent from the store (replay or catch-up)
        self._conversation: int | None = None  # the conversation those seqs count in

    async def _receive_json(self) -> Any:
        """The next frame as JSON; a frame nested too deeply raises `JsonTooDeep` before
        the parser could hit its recursion limit, a binary frame `KeyError`."""
        text: object = await self._ws.receive_text()
        if not isinstance(text, str):
            raise KeyError("text")
        check_json_depth(text, self._max_json_depth)
        return json.loads(text)

    async def _send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self._ws.send_json(frame)

    async def serve(self) -> None:
        session, after = await self._hello()
        if session is None:
            return
        # Subscribed before the replay is read, so nothing committed meanwhile is missed;
        # the wake-ups wait in the queue until the replay is sent. Acted on earlier, they
        # would go out before "ready", and from seq 0 (the conversation not known yet).
        queue = self._hub.subscribe(session.session_id)
        self._seen = after
        pump: asyncio.Task[None] | None = None
        try:
            await _carry(self._carried, session, after)
            conversation_id, backlog = await self._feed.messages_after(
                Channel.WEB, session.session_id, after
            )
            self._conversation = conversation_id
            if conversation_id is None:  # the store has no conversation (a new database)
                self._seen = 0  # the widget's `after` counted in one the server lost
            await self._send(
                {
                    "type": "ready",
                    "session_id": session.session_id,
                    "conversation_id": conversation_id,
                }
            )
            # The feed answers in pages; replay every page, not only the first.
            while backlog:
                for message in backlog:
                    await self._send({"type": "message", **message.to_json()})
                self._seen = max(self._seen, backlog[-1].seq)
                _, backlog = await self._feed.messages_after(
                    Channel.WEB, session.session_id, backlog[-1].seq
                )
            pump = asyncio.create_task(self._pump(session, queue))
            await self._read(session)
        except WebSocketDisconnect:
            pass
        finally:
            if pump is not None:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pump
            self._hub.unsubscribe(session.session_id, queue)

    async def _hello(self) -> tuple[WebSession | None, int]:
        try:
            raw = await asyncio.wait_for(self._receive_json(), _HELLO_TIMEOUT_SECONDS)
            hello = _HelloFrame.model_validate(raw)
            if hello.type != "hello":
                raise ValueError("first frame must be hello")
        except (TimeoutError, ValueError, ValidationError, KeyError):
            await self._close(4400, "first frame must be {type: hello, token, after}")
            return None, 0
        except WebSocketDisconnect:
            return None, 0
        try:
            return await self._check.session(hello.token), hello.after
        except InvalidSession as exc:
            await self._close(4401, str(exc))
            return None, 0

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self._send({"type": "error", "status": code - 4000, "reason": reason})
            await self._ws.close(code=code, reason=reason)

    async def close_unavailable(self, retry_after_seconds: int) -> None:
        """Tell the widget the store is unavailable and close with 1013 (Try Again
        Later): what it sent and was not acked is sent again when it reconnects."""
        reason = "the service is unavailable; try again shortly"
        with contextlib.suppress(Exception):
            await self._send(
                {
                    "type": "error",
                    "status": 503,
                    "reason": reason,
                    "retry_after": retry_after_seconds,
                }
            )
            await self._ws.close(code=_TRY_AGAIN_LATER, reason=reason)

    async def _pump(self, session: WebSession, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            events = [await queue.get()]
            while not queue.empty():  # wake-ups queued together are one read
                events.append(queue.get_nowait())
            if any(event is CATCH_UP for event in events):
                await self._catch_up(session)
            for event in events:
                if event is CATCH_UP:
                    continue
                if event.get("type") == "resync":
                    await self._close(4409, "too far behind; reconnect to replay")
                    return
                if event.get("type") == "revoked":
                    await self._close(4401, str(event.get("reason", "session revoked")))
                    return
                await self._send(event)

    async def _catch_up(self, session: WebSession) -> None:
        """Send what the store has after the last seq sent (hub.py: a wake-up from any
        process)."""
        while True:
            conversation_id, messages = await self._feed.messages_after(
                Channel.WEB, session.session_id, self._seen
            )
            if conversation_id != self._conversation:  # seqs start again in a new one
                self._conversation, self._seen = conversation_id, 0
                continue
            if not messages:
                return
            for message in messages:
                await self._send({"type": "message", **message.to_json()})
            self._seen = max(self._seen, messages[-1].seq)

    async def _read(self, session: WebSession) -> None:
        while True:
            try:
                raw = await self._receive_json()
            except JsonTooDeep as exc:
                await self._send({"type": "error", "status": 400, "reason": str(exc)})
                continue
            except (ValueError, KeyError):  # not JSON, or a binary frame
                await self._send(
                    {"type": "error", "status": 400, "reason": "frame is not JSON text"}
                )
                continue
            kind = raw.get("type") if isinstance(raw, dict) else None
            if kind == "ping":
                await self._send({"type": "pong"})
            elif kind == "message":
                await self._message(session, raw)
            else:
                await self._send({"type": "error", "status": 400, "reason": "unknown frame type"})

    async def _message(self, session: WebSession, raw: dict[str, Any]) -> None:
        client_message_id = raw.get("client_message_id")
        try:
            await self._check.still_valid(session)
        except InvalidSession as exc:
            await self._close(4401, str(exc))
            raise WebSocketDisconnect(4401, str(exc)) from exc
        try:
            frame = _MessageFrame.model_validate(raw)
            inbound = to_inbound(
                session,
                frame.client_message_id,
                frame.text,
                max_text_length=self._max_text_length,
            )
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            await self._send(
                {
                    "type": "error",
                    "status": 422,
                    "client_message_id": client_message_id,
                    "reason": f"invalid field(s): {fields}",
                }
            )
            return
        except MessageTooLong as exc:
            await self._send(
                {
                    "type": "error",
                    "status": 413,
                    "client_message_id": client_message_id,
                    "reason": str(exc),
                }
            )
            return
        if wait := self._limits.message(session.session_id):
            seconds = retry_after_seconds(wait)
            await self._send(
                {
                    "type": "error",
                    "status": 429,
                    "client_message_id": client_message_id,
                    "retry_after": seconds,
                    "reason": f"too many messages: not stored, send again in {seconds} s",
                }
            )
            return
        result = await self._intake.receive(inbound)
        if not result.duplicate:
            # The visitor's other tabs see the question too, not only the answer.
            self._hub.new_messages(session.session_id)
        await self._send(
            {
                "type": "ack",
                "client_message_id": frame.client_message_id,
                "seq": result.message.seq,
                "conversation_id": result.conversation_id,
            }
        )


def widget_router(*, max_text_length: int) -> APIRouter:
    """The embeddable script, with the server's `max_text_length` written in (the limit
    of its textbox). The demo page that carries it lives in `demo/page.py` and is mounted
    only in development."""
    router = APIRouter(include_in_schema=False)

    @router.api_route("/widget.js", methods=["GET", "HEAD"])
    async def widget_script() -> Response:
        body = (_STATIC / "widget.js").read_text(encoding="utf-8")
        body = body.replace('"{max_text_length}"', f'"{max_text_length}"')
        return Response(
            # The charset said: a page with no <meta charset> of its own read the script's
            # "…" as "â€¦" (the placeholder "Type a message…").
            body,
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    return router
