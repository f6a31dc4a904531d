"""What agents do in Slack: press Claim / Resolve / Back to bot on a card, write in its
thread (to the customer, or to colleagues: `note:`, or a message opening with a mention,
kept on the ticket only).

A thread reply reaches the customer as Markdown (channels/rendering/slack_text.py: links,
mentions as names, emoji), its files as links or named in words (`files.py`). Which
kinds of Slack message are replies, and which are not and why, is listed below: any
other kind in a card's thread is refused in words to the agent, never dropped unseen.

Every listener acknowledges first (Bolt answers Slack as soon as `ack()` is called) and
works after; answers to the agent go through the Slack call queue.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from channels.ports import AgentConsole
from channels.rendering.slack_text import after_opening_mentions, mentioned_users, to_markdown
from channels.slack.calls import RESPONSE_URL
from channels.slack.cards import BACK_TO_BOT, CLAIM, RESOLVE, RESOLVE_KEEP_TICKET
from channels.slack.desk import SlackDesk
from channels.slack.files import attached_files, files_line
from channels.slack.names import SlackNames
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
NOTHING_TO_SEND = (
    "Not sent: there is nothing in it for the customer (Slack's @here, @channel and "
    "@everyone are not sent, and a note needs words after `note:` or after the mention)."
)
# A message that opens by calling colleagues ("@here can someone help with this refund?",
# "@Kim do you know this customer?") is talk between agents, not words for a customer
# on a phone: it is kept as a note, like `note:`. The rule is where the mention stands,
# nothing new to learn: Slack's habit is to open with the person called, while a reply
# naming a colleague to the customer names them along the way ("thanks for waiting: @Kim
# checked it"), and that goes, with the colleague's name. An agent who meant to send one
# moves the mention later; the answer below says so, as the other answers do, only to them.
ADDRESSED_NOTE = (
    "Kept as a note on the ticket, not sent to the customer: a message that starts with "
    "a mention (@someone, @here, a user group) is for colleagues. To send it to the "
    "customer, start with other words and name the colleague later "
    "(“Thanks for waiting: @Kim checked it…”)."
)
NOT_RELAYED = (
    "Not sent: Switchboard does not pass this kind of Slack message ({subtype}) to "
    "customers. Write your reply as a new message in the thread."
)

# Message subtypes that are an agent writing to the customer.
REPLY_SUBTYPES: frozenset[str | None] = frozenset(
    {
        None,  # a plain message
        "thread_broadcast",  # a reply also sent to the channel: still one reply
        "file_share",  # a reply with files: text and files both go
        "me_message",  # `/me ...`: the agent's words all the same
    }
)
# Subtypes that are not words to the customer, and why each stays out of the thread.
IGNORED_SUBTYPES: dict[str, str] = {
    "message_changed": "an edit: the customer has the first version; SMS and mail can't change",
    "message_deleted": "a deletion: a text or mail already sent cannot be taken back",
    "message_replied": "Slack's note that a thread got a reply, not a message",
    "bot_message": "a bot's post (ours among them), never an agent's words",
    "channel_join": "someone joined the channel",
    "channel_leave": "someone left the channel",
    "group_join": "someone joined the private channel",
    "group_leave": "someone left the private channel",
    "channel_topic": "the channel's topic changed",
    "channel_purpose": "the channel's purpose changed",
    "channel_name": "the channel was renamed",
    "pinned_item": "a message was pinned",
    "unpinned_item": "a message was unpinned",
    "reminder_add": "a reminder was set",
}


class AgentListeners:
    def __init__(
        self,
        events: SlackEventLedger,
        threads: HandoffThreads,
        console: AgentConsole,
        desk: SlackDesk,
        people: SlackStaff,
        refusals: tuple[type[Exception], ...],
        names: SlackNames,
    ) -> None:
        self._names = names
        self._events = events
        self._threads = threads
        self._console = console
        self._desk = desk
        self._people = people
        self._refusals = refusals  # the console's "you can't do that" errors

    def register(self, app: AsyncApp) -> None:
        app.action(CLAIM)(self.on_claim)
        app.action(RESOLVE)(self.on_close)
        app.action(RESOLVE_KEEP_TICKET)(self.on_close)
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
        # The desk's handoff_closed redraws the card and writes in the thread.
        try:
            if action_id == BACK_TO_BOT:
                closed = await self._console.return_to_bot(handoff_id, staff.id)
            else:
                keep = action_id == RESOLVE_KEEP_TICKET
                closed = await self._console.resolve(handoff_id, staff.id, keep_ticket_open=keep)
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
        subtype = event.get("subtype")
        if subtype in IGNORED_SUBTYPES:
            return  # not words to the customer (see IGNORED_SUBTYPES for why)
        thread_ts, channel = event.get("thread_ts"), event.get("channel")
        if not thread_ts or thread_ts == event.get("ts"):
            return  # messages outside a thread are not replies
        handoff_id = await self._threads.handoff_in_thread(str(channel), str(thread_ts))
        if handoff_id is None:
            # In the channel of the cards an agent writing in a thread means to reach a
            # customer: say it went nowhere. Threads elsewhere are other business.
            if await self._among_cards(str(channel)):
                await self._ephemeral(event, NO_HANDOFF)
            return
        if subtype not in REPLY_SUBTYPES:
            if event.get("user"):  # a person wrote something we cannot pass on: say so
                await self._ephemeral(event, NOT_RELAYED.format(subtype=subtype))
            else:
                log.info("slack message of an unknown kind ignored", extra={"subtype": subtype})
            return
        user = str(event.get("user", ""))
        staff = await self._people.staff_for(user)
        if staff is None:
            await self._ephemeral(event, UNMAPPED.format(user=user))
            return
        raw = str(event.get("text", ""))
        names = await self._names.names_of(mentioned_users(raw))
        written = raw.lstrip()
        words_after = after_opening_mentions(raw)
        addressed = words_after is not None  # opens with a mention: for colleagues
        note = addressed or written.lower().startswith(NOTE_PREFIX)
        if addressed:  # kept whole: the ticket says whom it asked
            text = to_markdown(raw, names, for_colleagues=True)
            said = to_markdown(words_after or "")
        elif note:
            text = said = to_markdown(written[len(NOTE_PREFIX) :], names, for_colleagues=True)
        else:
            text = said = to_markdown(raw, names)
        files = attached_files(event)
        if files:
            first_name = (staff.name or "Your agent").split(" ")[0]
            text = "\n\n".join(part for part in (text, files_line(first_name, files)) if part)
        if not (said or files):  # say so: an agent must not think it went
            await self._ephemeral(event, NOTHING_TO_SEND)
            return
        attributes: dict[str, Any] = {"slack_text": raw}
        if files:
            attributes["slack_files"] = [f.as_json() for f in files]
        try:
            # A note needs no claim (colleagues answering each other); a reply does.
            await self._console.reply(handoff_id, staff.id, text, note=note, attributes=attributes)
        except self._refusals as refused:
            await self._ephemeral(event, f"Not sent: {refused}.")
            return
        if addressed:
            await self._ephemeral(event, ADDRESSED_NOTE)

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
