"""The agent console as Slack uses it, audited: a claim, reply, resolve or return to
the bot that an agent does from a handoff card or its thread writes an audit entry
(a change of that customer's data, by that staff user, via Slack), as the staff API's
routes do. Wraps the handoff service; the API's own routes are not changed by it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anyio import to_thread
from sqlalchemy import select

from channels.ports import AgentConsole, ClaimResult
from crm_store import Database, audit
from crm_store.models import Handoff

__all__ = ["AuditedConsole"]


class AuditedConsole:
    def __init__(self, console: AgentConsole, database: Database) -> None:
        self._console = console
        self._db = database

    async def claim(self, handoff_id: int, staff_id: int) -> ClaimResult:
        result = await self._console.claim(handoff_id, staff_id)
        if result.won:
            await self._record(handoff_id, staff_id, "handoff_claim")
        return result

    async def reply(
        self,
        handoff_id: int,
        staff_id: int,
        text: str,
        *,
        note: bool = False,
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        await self._console.reply(handoff_id, staff_id, text, note=note, attributes=attributes)
        await self._record(handoff_id, staff_id, "handoff_note" if note else "handoff_reply")

    async def resolve(
        self, handoff_id: int, staff_id: int, *, keep_ticket_open: bool = False
    ) -> bool:
        done = await self._console.resolve(handoff_id, staff_id, keep_ticket_open=keep_ticket_open)
        if done:
            await self._record(handoff_id, staff_id, "handoff_resolve")
        return done

    async def return_to_bot(self, handoff_id: int, staff_id: int) -> bool:
        done = await self._console.return_to_bot(handoff_id, staff_id)
        if done:
            await self._record(handoff_id, staff_id, "handoff_return_to_bot")
        return done

    async def _record(self, handoff_id: int, staff_id: int, action: str) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                customer = session.scalar(
                    select(Handoff.customer_id).where(Handoff.id == handoff_id)
                )
                if customer is None:
                    return
                audit.record_access(
                    session,
                    customer_ids=[customer],
                    action="change",
                    endpoint=f"slack {action}",
                    via="slack",
                    staff_id=staff_id,
                    subject=f"handoff {handoff_id}",
                )

        await to_thread.run_sync(write)
