"""Web chat campaign messages shown once across a customer's widget sessions, kept in
the CRM store (crm_store/web_campaign_messages.py): channels.web's `CarriedMessages`,
and the widget's `ConversationFeed`, which records the first session that fetched each
web campaign message as the one that showed it and leaves out of every other session's
reads the ones another session showed.

What "shown" is: the widget has no read receipts, and its replay and catch-up only say
which seqs it has; so a message counts as shown by the first widget session that
fetched it (replay on connect, catch-up when woken, or HTTP). A fetch that then never
reached the screen (the socket dropped) still counts: the session replays it on
reconnect, and no other session shows it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from anyio import to_thread
from sqlalchemy.exc import IntegrityError

from channels.messages import Channel, ConversationMessage
from channels.ports import ConversationFeed
from channels.web import WebSession
from crm_store import Database
from crm_store.base import utcnow
from crm_store.web_campaign_messages import (
    carry_into_new_session,
    showings_in,
    shown_in_session,
    waiting_for_new_session,
)
from engagement.rules import WEB_CARRY_OVER

__all__ = ["ShownOnceFeed", "StoreCarriedMessages"]

# Who writes web campaign messages (engagement/history_entry.py): only such messages
# are looked up, so a read of bot and customer messages costs no query.
_CAMPAIGN_AUTHOR = "system"


class StoreCarriedMessages:
    """A new signed-in widget session is given its customer's web campaign messages of
    the last `carry_over` that no widget has shown."""

    def __init__(
        self,
        database: Database,
        *,
        carry_over: timedelta = WEB_CARRY_OVER,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = database
        self._carry_over = carry_over
        self._clock = clock

    async def carry_into(self, session: WebSession) -> int:
        email = session.verified_email
        if email is None:
            return 0  # an anonymous visitor's identity is their browser
        since = self._clock() - self._carry_over
        waiting = await to_thread.run_sync(self._waiting, session.session_id, email, since)
        if not waiting:
            return 0
        try:
            copies = await self._db.write_async(
                lambda store: carry_into_new_session(
                    store,
                    channel=Channel.WEB.value,
                    session_id=session.session_id,
                    verified_email=email,
                    since=since,
                    now=self._clock(),
                )
            )
        except IntegrityError:
            # The session's first message made its identity first (another tab): it is
            # not new any more, and nothing was claimed (the transaction rolled back).
            return 0
        return len(copies)

    def _waiting(self, session_id: str, email: str, since: datetime) -> bool:
        with self._db.reading() as store:
            return waiting_for_new_session(
                store,
                channel=Channel.WEB.value,
                session_id=session_id,
                verified_email=email,
                since=since,
            )


class ShownOnceFeed:
    """The widget's reads (a `ConversationFeed` over the engine's): each web campaign
    message among them is recorded as shown by this session unless another showed it
    first, and then it is left out."""

    def __init__(
        self, feed: ConversationFeed, database: Database, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._feed = feed
        self._db = database
        self._clock = clock

    async def messages_after(
        self, channel: Channel, address: str, after_seq: int
    ) -> tuple[int | None, list[ConversationMessage]]:
        conversation_id, messages = await self._feed.messages_after(channel, address, after_seq)
        if channel != Channel.WEB or conversation_id is None:
            return conversation_id, messages
        seqs = [m.seq for m in messages if m.author == _CAMPAIGN_AUTHOR and m.direction == "out"]
        if not seqs:
            return conversation_id, messages
        elsewhere = await to_thread.run_sync(self._shown_elsewhere, address, conversation_id, seqs)
        return conversation_id, [m for m in messages if m.seq not in elsewhere]

    def _shown_elsewhere(self, address: str, conversation_id: int, seqs: Sequence[int]) -> set[int]:
        """The seqs among `seqs` that another widget session showed; the rest of the web
        campaign messages among them are recorded as shown by this one."""
        with self._db.reading() as store:
            found = showings_in(store, conversation_id, seqs)
        shown_by = {f.interaction_id: f.shown_session for f in found}
        unshown = [f.interaction_id for f in found if f.shown_session is None]
        if unshown:
            with self._db.transaction() as store:
                shown_by.update(shown_in_session(store, unshown, address, now=self._clock()))
        return {f.seq for f in found if shown_by[f.interaction_id] != address}
