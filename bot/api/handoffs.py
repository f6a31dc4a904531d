"""The staff API for handoffs: read the context packet, and claim, reply, note, resolve or
hand back without Slack (the Slack desk calls the same `HandoffService`)."""

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Query
from pydantic import BaseModel, Field

from bot.api.auth import StaffAuth
from bot.api.owners import Owner, owner_id
from bot.api.staff import MAX_ID
from bot.handoffs.board import HandoffState, state_of, work_list
from bot.handoffs.service import (
    HandoffError,
    HandoffNotFound,
    HandoffService,
    NotYourHandoff,
    ReplyTooLong,
    RequestKeyReused,
)
from channels.text import MessageText
from crm_store.records import StaffRecord

HandoffId = Annotated[int, Path(ge=1, le=MAX_ID)]
State = Literal["queued", "waiting", "claimed", "resolved", "returned_to_bot", "closed"]


def _state_json(state: HandoffState) -> dict[str, Any]:
    return {
        "status": state.status,
        "owner": (
            {"id": state.owner_id, "name": state.owner_name} if state.owner_id is not None else None
        ),
        "age_seconds": state.age_seconds,
        "claimed_at": state.claimed_at.isoformat() if state.claimed_at else None,
        "closed_at": state.closed_at.isoformat() if state.closed_at else None,
    }


# What each action on a handoff can refuse (see `_error`).
_ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "only the agent who claimed it, or an admin, may do this"},
    404: {"description": "no such handoff"},
    409: {"description": "the handoff is not in a state that allows this"},
}
# A reply is never 403: a note needs no claim, and a reply from anyone but the claimer
# is the wrong moment for them (409, press Claim), as in the Slack thread.
_REPLY_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such handoff"},
    409: {
        "description": "a reply (not a note) from someone who has not claimed the handoff, "
        "or before anyone has; or the handoff is no longer with a person (closed, or a "
        "duplicate card's); or the customer's channel has no sender on this server (a "
        "`switchboard chat` trial, SMS or email not configured). A note (`note: true`) "
        "needs no claim"
    },
    422: {
        "description": "the reply is too long for the customer's channel (an SMS); or its "
        "Idempotency-Key was used for another request"
    },
}
# A client's own name for one reply: the same request again under it (a retry after a
# timeout) sends nothing more and answers as the first did, with `"repeated": true`.
RequestKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="optional, up to 200 printable ASCII characters, kept a day: a retry "
        "of the same reply under it is not sent twice",
    ),
]


def _http(error: HandoffError) -> HTTPException:
    """404 unknown, 403 someone else's to close, 409 the wrong moment (closed, not yours
    to reply to)."""
    if isinstance(error, HandoffNotFound):
        return HTTPException(404, str(error))
    if isinstance(error, NotYourHandoff):
        return HTTPException(403, str(error))
    if isinstance(error, ReplyTooLong | RequestKeyReused):
        return HTTPException(422, str(error))
    return HTTPException(409, str(error))


class AgentReply(BaseModel):
    text: MessageText = Field(min_length=1, max_length=4000)
    note: bool = Field(default=False, description="internal note on the ticket, not sent")


class ResolveOptions(BaseModel):
    keep_ticket_open: bool = Field(
        default=False,
        description="leave the handoff's ticket open (it is solved with the handoff otherwise)",
    )


def handoffs_router(service: HandoffService, auth: StaffAuth) -> APIRouter:
    router = APIRouter(prefix="/api/v1/handoffs", tags=["handoffs"])
    Staff = Annotated[StaffRecord, Depends(auth.any_staff())]

    @router.get("")
    async def listing(
        staff: Staff,
        state: State | None = None,
        owner: Owner = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        """Handoffs newest first, to find work without Slack: `state` (queued, or its
        other name waiting; claimed, resolved, returned_to_bot, or closed for both),
        `owner` a staff id or `me`. Each has `age_seconds` since it was opened."""
        owner_staff_id = owner_id(owner, staff.id)
        rows = await to_thread.run_sync(
            lambda: work_list(
                service.database,
                state=state,
                owner_staff_id=owner_staff_id,
                limit=limit,
                offset=offset,
            )
        )
        return {"handoffs": rows, "limit": limit, "offset": offset}

    @router.get("/{handoff_id}", responses={404: {"description": "no such handoff"}})
    async def packet(handoff_id: HandoffId, _: Staff) -> dict[str, Any]:
        """The context packet the agent desk got (customer, summary, messages, tickets),
        with where the handoff stands now: status, owner, age."""
        try:
            found = await to_thread.run_sync(service.packet, handoff_id)
        except HandoffError as exc:
            raise _http(exc) from exc
        state = await to_thread.run_sync(state_of, service.database, handoff_id)
        if state is None:
            raise HTTPException(404, f"there is no handoff {handoff_id}")
        return dataclasses.asdict(found) | _state_json(state)

    @router.post("/{handoff_id}/claim", responses=_ACTION_ERRORS)
    async def claim(handoff_id: HandoffId, staff: Staff) -> dict[str, Any]:
        try:
            result = await service.claim(handoff_id, staff.id)
        except HandoffError as exc:
            raise _http(exc) from exc
        if not result.won:
            raise HTTPException(409, f"already claimed by {result.owner_name or 'someone'}")
        return dataclasses.asdict(result)

    @router.post("/{handoff_id}/replies", status_code=201, responses=_REPLY_ERRORS)
    async def reply(
        handoff_id: HandoffId, body: AgentReply, staff: Staff, key: RequestKey = None
    ) -> dict[str, Any]:
        try:
            done = await service.reply(
                handoff_id,
                staff.id,
                body.text,
                note=body.note,
                from_outside_desk=True,
                request_key=key,
            )
        except HandoffError as exc:
            raise _http(exc) from exc
        answer = {"handoff_id": handoff_id, "sent": not body.note}
        return answer if done else {**answer, "repeated": True}

    async def close(
        handoff_id: int, closing: Callable[[int, int], Awaitable[bool]], staff_id: int, status: str
    ) -> dict[str, Any]:
        try:
            closed = await closing(handoff_id, staff_id)
        except HandoffError as exc:
            raise _http(exc) from exc
        if not closed:
            raise HTTPException(409, "this handoff is not active")
        return {"handoff_id": handoff_id, "status": status}

    @router.post("/{handoff_id}/resolve", responses=_ACTION_ERRORS)
    async def resolve(
        handoff_id: HandoffId,
        staff: Staff,
        options: Annotated[ResolveOptions | None, Body()] = None,
    ) -> dict[str, Any]:
        """Resolve the handoff, and its ticket unless `keep_ticket_open` (body optional)."""
        keep = options is not None and options.keep_ticket_open

        async def resolving(handoff_id: int, staff_id: int) -> bool:
            return await service.resolve(handoff_id, staff_id, keep_ticket_open=keep)

        return await close(handoff_id, resolving, staff.id, "resolved")

    @router.post("/{handoff_id}/return-to-bot", responses=_ACTION_ERRORS)
    async def return_to_bot(handoff_id: HandoffId, staff: Staff) -> dict[str, Any]:
        return await close(handoff_id, service.return_to_bot, staff.id, "returned_to_bot")

    return router
