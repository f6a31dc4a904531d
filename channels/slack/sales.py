"""Account summaries for sales in Slack: `/switchboard summary <q>` and
`@Switchboard summary for <q>`. Only staff with the sales or admin role get one; anyone
else gets the same refusal whatever they asked, so it reveals nothing."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from channels.slack.calls import RESPONSE_URL
from channels.slack.cards import Block
from channels.slack.desk import SlackDesk
from channels.slack.middleware import command_key
from channels.slack.people import SlackStaff
from channels.slack.ports import AccountSummaries, SlackEventLedger
from channels.slack.summary_blocks import candidate_blocks, suggestion_blocks, summary_blocks
from crm_store.summary_records import Candidates, NoMatch

log = logging.getLogger(__name__)

REFUSAL = "Sorry, account summaries are only for the sales team."
USAGE = "Try `/switchboard summary <account name | email | phone>`."
ASK = re.compile(r"^\s*summary\b(?:\s+(?:for|of))?\s*(?P<query>.*)$", re.IGNORECASE | re.DOTALL)
# Slack's control sequences: `<@U123>` mentions, and the links Slack makes of what was
# typed in a message: `<mailto:ada@example.com|ada@example.com>`, `<tel:...|...>`.
CONTROL = re.compile(r"<([^<>\n]+)>")


def asked_for(text: str) -> str | None:
    """The query of "summary for Acme" (None when it is not a summary request)."""
    match = ASK.match(html.unescape(CONTROL.sub(_as_typed, text)))
    return match.group("query").strip() if match else None


def _as_typed(control: re.Match[str]) -> str:
    """A control sequence as the person typed it: a mention is nobody's query, a mailto
    link its address (an app mention's "summary for ada@example.com" arrived as
    `<mailto:...|...>` and matched nobody), any other link its label."""
    target, _, label = control.group(1).partition("|")
    if target.startswith("@"):
        return ""
    if target.startswith("mailto:"):
        return target.removeprefix("mailto:")
    return label or target.removeprefix("tel:")


class SalesListeners:
    def __init__(
        self,
        events: SlackEventLedger,
        summaries: AccountSummaries,
        desk: SlackDesk,
        people: SlackStaff,
    ) -> None:
        self._events = events
        self._summaries = summaries
        self._desk = desk
        self._people = people

    def register(self, app: AsyncApp) -> None:
        app.command("/switchboard")(self.on_command)
        app.event("app_mention")(self.on_mention)

    async def on_command(self, ack: Callable[[], Awaitable[Any]], command: dict[str, Any]) -> None:
        await ack()
        key = command_key(command)  # the middleware took it under this key
        error = None
        try:
            user, asked = str(command.get("user_id")), str(command.get("text", ""))
            text, blocks = await self.answer(user, asked)
            body: dict[str, Any] = {"url": command["response_url"], "text": text}
            body.update(response_type="ephemeral", **({"blocks": blocks} if blocks else {}))
            await self._desk.tell(RESPONSE_URL, body, None)
        except Exception as exc:
            log.exception("slack command failed", extra={"command_key": key})
            error = f"{type(exc).__name__}: {exc}"
        if key is not None:
            await self._events.finish(key, error)  # handled, or failed for a person to see

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        event_id = str(body.get("event_id", ""))
        error = None
        try:
            text, blocks = await self.answer(str(event.get("user")), str(event.get("text", "")))
            arguments: dict[str, Any] = {
                "channel": event.get("channel"),
                "user": event.get("user"),
                "text": text,
            }
            if event.get("thread_ts"):
                arguments["thread_ts"] = event["thread_ts"]
            if blocks:
                arguments["blocks"] = blocks
            # Only the asker sees it: a summary is not for the whole channel.
            await self._desk.tell("chat.postEphemeral", arguments, None)
        except Exception as exc:
            log.exception("slack mention failed", extra={"event_id": event_id})
            error = f"{type(exc).__name__}: {exc}"
        await self._events.finish(event_id, error)

    async def answer(self, slack_user: str, text: str) -> tuple[str, list[Block]]:
        """The reply to a request: a summary, candidates, "nothing found", or a refusal."""
        staff = await self._people.staff_for(slack_user)
        if staff is None or not self._summaries.may_read(staff.role):
            return REFUSAL, []
        query = asked_for(text)
        if not query:
            return USAGE, []
        found = await self._summaries.lookup(query, staff.id)
        if isinstance(found, NoMatch):
            nothing = f"No account or customer matches “{query}”."
            if not found.suggestions:
                return nothing, []
            close = " or ".join(s.label for s in found.suggestions)  # labels hold commas
            return f"{nothing} Did you mean {close}?", suggestion_blocks(query, found)
        if isinstance(found, Candidates):
            return f"{found.count_text()} matches for “{query}”", candidate_blocks(query, found)
        return f"Summary: {found.summary.subject.label}", summary_blocks(found.summary)
