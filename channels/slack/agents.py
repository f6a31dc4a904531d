"""What agents do in Slack: press Claim / Resolve / Back to bot on a card, write in its
thread (to the customer, or `note:` for the ticket only).

Every listener acknowledges first (Bolt answers Slack as soon as `ack()` is called) and
works after; answers to the agent go through the Slack call queue.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from channels.ports import AgentConsole
from channels.slack.calls import RESPONSE_URL
from channels.slack.cards import BACK_TO_BOT, CLAIM, RESOLVE
from channels.slack.desk import SlackDesk
from channels.slack.people import SlackStaff
from channels.slack.ports import HandoffThreads, SlackEventLedger

log = logging.getLogger(__name__)

UNMAPPED = (
    "You are not set up as a Switchboard staff user yet. Ask an admin to run "
    '`switchboard staff create --name "Your Name" --email you@example.com --role agent '
    "--slack-user-id {user}` with your name and email (or to use your Slack email)."
)
NOTE_PREFIX = "note:"
NO_HANDOFF = (
    "Not sent: this thread belongs to no handoff, so no customer will see it. "
    "Reply in the thread of the customer's card."
)


class AgentListeners:
    def __init__(
        self,
        events: SlackEventLedger,
        threads: HandoffThreads,
        console: AgentConsole,
        desk: SlackDesk,
        people: SlackStaff,
        refusals: tuple[type[Exception], ...],
    ) -> None:
        self._events = events
        self._threads = threads
        self._console = console
        self._desk = desk
        self._people = people
        self._refusals = refusals  # the console's "you can't do that" errors

    def register(self, app: AsyncApp) -> None:
        app.action(CLAIM)(self.on_claim)
        app.action(RESOLVE)(self.on_close)
        app.action(BACK_TO_BOT)(self.on_close)
        app.event("message")(self.on_message)

    # -- buttons -----------------------------------------------------------------------

    async def on_claim(self, ack: Callable[[], Awaitable[Any]], body: dict[str, Any]) -> None:
        await ack()
        handoff_id, user, response_url = _pressed(body)
        staff = await self._people.staff_for(user)
        if staff is None:
            await self._answer(response_url, UNMAPPED.format(user=user))
            return
        try:
            result = await self._console.claim(handoff_id, staff.id)
        except self._refusals as refused:
            await self._answer(response_url, str(refused))
            return
        if not result.won:  # the winner's card update comes through the desk
            await self._answer(response_url, f"{result.owner_name or 'Someone'} has this one.")

    async def on_close(self, ack: Callable[[], Awaitable[Any]], body: dict[str, Any]) -> None:
        await ack()
        handoff_id, user, response_url = _pressed(body)
        action_id = body["actions"][0]["action_id"]
        staff = await self._people.staff_for(user)
        if staff is None:
            await self._answer(response_url, UNMAPPED.format(user=user))
            return
        close = self._console.resolve if action_id == RESOLVE else self._console.return_to_bot
        # The desk's handoff_closed redraws the card and writes in the thread.
        try:
            closed = await close(handoff_id, staff.id)
        except self._refusals as refused:
            await self._answer(response_url, str(refused))
            return
        if not closed:
            await self._answer(response_url, "This conversation is no longer with a person.")

    # -- the card's thread ---------------------------------------------------------------

    async def on_message(
        self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]
    ) -> None:
        event_id = str(body.get("event_id", ""))
        error: str | None = None
        bot_user = context.get("bot_user_id")
        try:
            if not (bot_user and f"<@{bot_user}>" in str(event.get("text", ""))):
                await self._thread_reply(event)  # a mention of the bot is for the bot
        except Exception as exc:
            log.exception("slack message event failed", extra={"event_id": event_id})
            error = f"{type(exc).__name__}: {exc}"
        await self._events.finish(event_id, error)

    async def _thread_reply(self, event: dict[str, Any]) -> None:
        thread_ts, channel = event.get("thread_ts"), event.get("channel")
        if event.get("subtype") or not thread_ts or thread_ts == event.get("ts"):
            return  # edits, joins, and messages outside a thread are not replies
        handoff_id = await self._threads.handoff_in_thread(str(channel), str(thread_ts))
        if handoff_id is None:
            # In the channel of the cards an agent writing in a thread means to reach a
            # customer: say it went nowhere. Threads elsewhere are other business.
            if await self._among_cards(str(channel)):
                await self._ephemeral(event, NO_HANDOFF)
            return
        user = str(event.get("user", ""))
        staff = await self._people.staff_for(user)
        if staff is None:
            await self._ephemeral(event, UNMAPPED.format(user=user))
            return
        text = html.unescape(str(event.get("text", ""))).strip()
        note = text.lower().startswith(NOTE_PREFIX)
        if note:
            text = text[len(NOTE_PREFIX) :].strip()
        if not text:
            return
        try:
            await self._console.reply(handoff_id, staff.id, text, note=note)
        except self._refusals as refused:
            await self._ephemeral(event, f"Not sent: {refused}.")

    async def _among_cards(self, channel: str) -> bool:
        return channel == self._desk.handoff_channel or await self._threads.holds_cards(channel)

    # -- answers to the agent ------------------------------------------------------------

    async def _answer(self, response_url: str, text: str) -> None:
        body = {
            "url": response_url,
            "text": text,
            "response_type": "ephemeral",
            "replace_original": False,
        }
        await self._desk.tell(RESPONSE_URL, body, None)

    async def _ephemeral(self, event: dict[str, Any], text: str) -> None:
        arguments = {
            "channel": event.get("channel"),
            "user": event.get("user"),
            "thread_ts": event.get("thread_ts"),
            "text": text,
        }
        await self._desk.tell("chat.postEphemeral", arguments, None)


def _pressed(body: dict[str, Any]) -> tuple[int, str, str]:
    action = body["actions"][0]
    return int(action["value"]), str(body["user"]["id"]), str(body.get("response_url", ""))
