"""An erasure's Slack step against the Web API stand-in, on SQLite and PostgreSQL: Slack
answering 500 makes the step wait and try again (never dropped), then the card and
the bot's thread messages are deleted, an agent's own message is reported as not
reachable, and the erasure finishes with the report."""

from __future__ import annotations

import asyncio

from bot.delivery.queue import RetryPolicy
from bot.erasure.queue import ErasureWorker
from bot.erasure.steps import ErasureSteps
from channels.slack.app import SlackConfig
from channels.slack.erasure import SlackThreadEraser
from crm_store import Database, erasures
from crm_store.models import Conversation, Customer, Handoff, Identity
from tests.support.slack_standin import SlackStandIn

CHANNEL = "C0HANDOFF1"


def _post(standin: SlackStandIn, text: str, thread_ts: str | None = None) -> str:
    status, _, answer = standin.answer(
        "chat.postMessage", {"channel": CHANNEL, "text": text, "thread_ts": thread_ts}
    )
    assert status == 200 and answer["ok"]
    return str(answer["ts"])


def test_the_slack_step_is_retried_then_deletes_the_thread(
    database: Database, standin: SlackStandIn
) -> None:
    card = _post(standin, "Ada Lovelace needs a person")
    _post(standin, "*Customer:* my teapot", card)
    standin.messages.append(  # an agent's own message in the thread, not the bot's
        {"type": "message", "channel": CHANNEL, "ts": "1.5", "thread_ts": card,
         "user": "USAM000001", "text": "On it, Ada"}
    )  # fmt: skip
    other = _post(standin, "Someone else's card")
    with database.transaction() as session:
        ada = Customer(name="Ada Lovelace", attributes={})
        session.add(ada)
        session.flush()
        identity = Identity(customer_id=ada.id, channel="web", address="session-1")
        session.add(identity)
        session.flush()
        conversation = Conversation(customer_id=ada.id, identity_id=identity.id, channel="web")
        session.add(conversation)
        session.flush()
        session.add(
            Handoff(
                conversation_id=conversation.id, customer_id=ada.id, reason="asked",
                slack_channel=CHANNEL, slack_thread_ts=card,
            )
        )  # fmt: skip
        session.flush()
        erasure = erasures.start(
            session, ada.id, key=b"k", staff_id=None, via="cli", endpoint="test"
        ).id
    config = SlackConfig(
        bot_token="xoxb-test",
        signing_secret="s",
        handoff_channel=CHANNEL,
        api_base_url=standin.base_url + "/api/",  # type: ignore[attr-defined]
    )
    steps = ErasureSteps(database, slack=SlackThreadEraser(config))
    policy = RetryPolicy(max_attempts=None, base_delay_seconds=0.01, max_delay_seconds=0.02)
    worker = ErasureWorker(database, steps, policy=policy, poll_interval_seconds=0.01)
    standin.fail_next("conversations.replies", 500)

    async def work() -> erasures.ErasureRecord:
        for _ in range(200):
            await worker.work_due()
            with database.transaction() as session:
                found = erasures.get_erasure(session, erasure)
            if found.status != "running":
                return found
            await asyncio.sleep(0.02)
        raise AssertionError("the erasure did not finish")

    done = asyncio.run(work())
    slack_step = next(step for step in done.steps if step["name"] == "slack")
    assert done.status == "done" and slack_step["attempts"] == 2
    assert [c.status for c in standin.made("conversations.replies")][:1] == [500]
    assert done.report["erased"]["slack"] == {"slack_messages_deleted": 2, "threads_gone": 0}
    (agents,) = [r for r in done.report["not_reachable"] if r["where"] == "Slack"]
    assert agents["why"].startswith("1 messages agents wrote")
    assert [m["ts"] for m in standin.messages] == ["1.5", other]
