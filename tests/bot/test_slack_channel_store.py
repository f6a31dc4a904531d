"""The Slack channel's Protocols over the CRM store (bot/channel_store/slack_*.py and
account_summaries.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from bot.channel_store.account_summaries import StoredAccountSummaries
from bot.channel_store.slack_desk_store import StoredDeskCalls, StoredHandoffThreads
from bot.channel_store.slack_events import StoredSlackEvents
from bot.channel_store.slack_staff import StoredSlackStaff
from crm_store import Database, handoffs
from crm_store import slack as store
from crm_store.models import Account
from crm_store.staff import create_staff
from crm_store.summary_records import Candidates, NoMatch, Summary
from tests.support.handoffs import handed_off


def _handoff(database: Database) -> int:
    return handed_off(database, "sms", "+14155550101", summary="asked for a person")


async def test_an_event_is_taken_once_and_finished(database: Database) -> None:
    events = StoredSlackEvents(database)
    assert await events.take("Ev1", "message", {"event_id": "Ev1"}) is True
    assert await events.take("Ev1", "message", {"event_id": "Ev1"}) is False
    assert await events.take("Ev2", "app_mention", {"event_id": "Ev2"}) is True
    await events.finish("Ev1", None)
    await events.finish("Ev2", "RuntimeError: boom")
    with database.transaction() as session:
        assert store.event_status(session, "Ev1") == "handled"
        assert store.event_status(session, "Ev2") == "failed"


async def test_staff_by_slack_user_and_linked_once_by_email(database: Database) -> None:
    with database.transaction() as session:
        known, _ = create_staff(
            session, name="Sam Agent", email="sam@x.test", role="agent", slack_user_id="U1"
        )
        unlinked, _ = create_staff(session, name="Rita Sales", email="rita@x.test", role="sales")
    directory = StoredSlackStaff(database)

    assert await directory.by_slack_user("U1") == known
    assert await directory.by_slack_user("U2") is None
    linked = await directory.link_slack_user("U2", "Rita@X.test")
    assert linked is not None and (linked.id, linked.slack_user_id) == (unlinked.id, "U2")
    assert await directory.by_slack_user("U2") == linked
    # Sam already has a Slack user: a second one is not given his record.
    assert await directory.link_slack_user("U3", "sam@x.test") is None


async def test_desk_calls_go_on_the_handoffs_lane(database: Database) -> None:
    handoff_id = _handoff(database)
    calls = StoredDeskCalls(database)
    await calls.enqueue("chat.postEphemeral", {"text": "hi"}, purpose="answer", handoff_id=None)
    await calls.enqueue(
        "chat.postMessage",
        {"text": "card", "blocks": []},
        purpose="handoff_card",
        handoff_id=handoff_id,
    )
    with database.transaction() as session:
        queued = [(c.method, c.purpose, c.lane, c.arguments) for c in store.calls(session)]
    assert queued == [
        ("chat.postEphemeral", "answer", None, {"text": "hi"}),
        (
            "chat.postMessage",
            "handoff_card",
            f"handoff:{handoff_id}",
            {"text": "card", "blocks": []},
        ),
    ]


async def test_a_card_update_is_drawn_from_the_posted_card(database: Database) -> None:
    handoff_id = _handoff(database)
    calls = StoredDeskCalls(database)
    seen: list[dict[str, Any]] = []

    def redraw(card: dict[str, Any]) -> dict[str, Any]:
        seen.append(card)
        return {"text": card["text"] + " (claimed)", "blocks": card["blocks"]}

    assert await calls.enqueue_card_update(handoff_id, redraw) is False  # no card yet
    assert seen == []
    card = {"channel": "C1", "text": "Handoff", "blocks": [{"type": "divider"}]}
    await calls.enqueue("chat.postMessage", card, purpose="handoff_card", handoff_id=handoff_id)
    assert await calls.enqueue_card_update(handoff_id, redraw) is True

    assert seen == [card]
    with database.transaction() as session:
        update = store.calls(session)[-1]
    assert (update.method, update.purpose, update.lane) == (
        "chat.update",
        "card_update",
        f"handoff:{handoff_id}",
    )
    assert update.arguments == {"text": "Handoff (claimed)", "blocks": [{"type": "divider"}]}


async def test_the_handoff_of_a_cards_thread(database: Database) -> None:
    handoff_id = _handoff(database)
    with database.transaction() as session:
        handoffs.set_slack_thread(session, handoff_id, "C1", "1700000000.000100")
    threads = StoredHandoffThreads(database)
    assert await threads.handoff_in_thread("C1", "1700000000.000100") == handoff_id
    assert await threads.handoff_in_thread("C2", "1700000000.000100") is None
    assert await threads.handoff_in_thread("C1", "1700000000.000200") is None


async def test_account_summaries_for_sales_and_admins(database: Database) -> None:
    with database.transaction() as session:
        session.add_all(
            [Account(name="Acme Corp", attributes={}), Account(name="Acme Labs", attributes={})]
        )
    summaries = StoredAccountSummaries(database)
    assert [summaries.may_read(role) for role in ("agent", "sales", "admin")] == [False, True, True]
    one = await summaries.lookup("acme corp")
    assert isinstance(one, Summary) and one.summary.subject.label == "Acme Corp"
    several = await summaries.lookup("acme")
    assert isinstance(several, Candidates)
    assert [s.label for s in several.subjects] == ["Acme Corp", "Acme Labs"]
    assert await summaries.lookup("zyx") == NoMatch("zyx")
