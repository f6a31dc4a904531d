"""Stranded messages, on SQLite and PostgreSQL: a message taken in whose answer never
got logged (the process died between the engine's two transactions, or the database
failed at the second) is answered once by the sweeper, as a provider retry would be."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.conversation.dialogue import Reply, Turn
from bot.conversation.engine import ConversationEngine
from bot.conversation.stranded import StrandedMessageSweeper
from bot.delivery.queue import RetryPolicy
from bot.settings import DatabaseSettings, Settings
from channels.messages import Channel, InboundMessage
from crm_store import Database, receipts, stranded
from crm_store.base import utcnow
from crm_store.models import InboundReceipt, Interaction, OutboxMessage
from tests.support.fakes import ScriptedDialogue

GRACE_SECONDS = 60.0


@dataclass
class StuckDialogue:
    """A dialogue that never finishes the first `stuck` turns (the process is about to
    die there); the turns after them are answered like ScriptedDialogue's."""

    stuck: int = 1
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    turns: list[Turn] = field(default_factory=list)

    async def respond(self, turn: Turn) -> list[Reply]:
        self.turns.append(turn)
        if len(self.turns) <= self.stuck:
            self.entered.set()
            await self.release.wait()
        return [Reply(f"answer to {turn.message.text}", intent="scripted", confidence=0.9)]


class BrokenEngine:
    """An engine whose every answer fails (the store keeps refusing, say)."""

    def __init__(self) -> None:
        self.calls: list[InboundMessage] = []

    async def receive(self, message: InboundMessage) -> None:
        self.calls.append(message)
        raise RuntimeError("the store hiccupped")


def sms(text: str, message_id: str, **more: object) -> InboundMessage:
    return InboundMessage(
        channel=Channel.SMS,
        address="+14155550101",
        provider_message_id=message_id,
        text=text,
        **more,  # type: ignore[arg-type]
    )


def later(seconds: float = GRACE_SECONDS + 1) -> Callable[[], datetime]:
    """A clock `seconds` ahead: the intake's lease on the messages has run out."""
    return lambda: utcnow() + timedelta(seconds=seconds)


def sweeper(
    database: Database, engine: object, clock: Callable[[], datetime] | None = None, **more: object
) -> StrandedMessageSweeper:
    return StrandedMessageSweeper(
        database,
        engine,  # type: ignore[arg-type]
        clock=clock or later(),
        **more,  # type: ignore[arg-type]
    )


def receipt_states(database: Database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(select(InboundReceipt.status).order_by(InboundReceipt.id)))


def replies_per_inbound(database: Database) -> dict[str, list[str]]:
    """The bot's logged replies to each inbound message, by the message's text."""
    with database.transaction() as session:
        rows = session.scalars(select(Interaction).order_by(Interaction.id)).all()
        inbound = {row.id: row.text for row in rows if row.direction == "in"}
        found: dict[str, list[str]] = {text: [] for text in inbound.values()}
        for row in rows:
            if row.direction == "out":
                found[inbound[row.in_reply_to_id]].append(row.text)
        return found


def outbox_rows(database: Database) -> int:
    with database.transaction() as session:
        return len(session.scalars(select(OutboxMessage.id)).all())


async def strand(database: Database, *messages: InboundMessage) -> None:
    """Take the messages in on an engine whose process dies mid-dialogue."""
    dialogue = StuckDialogue(stuck=len(messages))
    dying = ConversationEngine(database, dialogue, answer_within_seconds=GRACE_SECONDS)
    for message in messages:
        dialogue.entered.clear()
        task = asyncio.create_task(dying.receive(message))
        await dialogue.entered.wait()  # the intake is committed; the answer is not
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_message_cut_off_before_its_answer_is_answered_once_after_the_grace(
    database: Database,
) -> None:
    await strand(database, sms("where is my order?", "SM-1"))
    assert receipt_states(database) == ["received"]
    survivor = ConversationEngine(database, ScriptedDialogue(replies=["On its way"]))

    # Within the intake's lease the message may still be answered by its own request.
    assert await sweeper(database, survivor, clock=utcnow).work_due() == 0

    assert await sweeper(database, survivor).work_due() == 1
    assert receipt_states(database) == ["answered"]
    assert replies_per_inbound(database) == {"where is my order?": ["On its way"]}
    assert outbox_rows(database) == 1
    assert await sweeper(database, survivor).work_due() == 0


async def test_a_late_answer_of_the_original_request_and_the_sweep_answer_once(
    database: Database,
) -> None:
    dialogue = StuckDialogue()
    engine = ConversationEngine(database, dialogue, answer_within_seconds=GRACE_SECONDS)
    original = asyncio.create_task(engine.receive(sms("hello?", "SM-slow")))
    await dialogue.entered.wait()

    assert await sweeper(database, engine).work_due() == 1  # answers while it thinks
    dialogue.release.set()
    late = await original

    assert replies_per_inbound(database) == {"hello?": ["answer to hello?"]}
    assert [reply.text for reply in late.replies] == ["answer to hello?"]
    assert outbox_rows(database) == 1
    assert receipt_states(database) == ["answered"]


async def test_two_sweepers_at_once_answer_each_message_once(database: Database) -> None:
    texts = [f"question {n}" for n in range(6)]
    await strand(database, *(sms(text, f"SM-{n}") for n, text in enumerate(texts)))
    first = ConversationEngine(database, ScriptedDialogue(replies=["first"]))
    second = ConversationEngine(database, ScriptedDialogue(replies=["second"]))

    claimed = await asyncio.gather(
        sweeper(database, first, batch_size=3).work_due(),
        sweeper(database, second, batch_size=3).work_due(),
        sweeper(database, second, batch_size=3).work_due(),
    )

    assert sum(claimed) == 6  # no message was claimed twice
    answers = replies_per_inbound(database)
    assert set(answers) == set(texts)
    assert all(len(replies) == 1 for replies in answers.values()), answers
    assert receipt_states(database) == ["answered"] * 6
    assert outbox_rows(database) == 6


async def test_a_claimed_message_is_skipped_by_another_sweeper_on_postgres(
    postgres_url: str,
) -> None:
    from crm_store import upgrade

    upgrade(postgres_url)
    database = Database(postgres_url)
    try:
        await strand(database, sms("one", "SM-a"), sms("two", "SM-b"))
        now = later()()
        with database.transaction() as holder:
            held = stranded.claim_stranded(holder, now=now, limit=1, lease=timedelta(seconds=60))
            with database.transaction() as other:  # another process, while the first holds
                taken = stranded.claim_stranded(
                    other, now=now, limit=10, lease=timedelta(seconds=60)
                )
        assert [row.text for row in held] == ["one"]
        assert [row.text for row in taken] == ["two"]
    finally:
        database.dispose()


async def test_a_message_that_keeps_failing_is_marked_unanswered_logged_and_counted(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await strand(database, sms("are you there?", "SM-poison"))
    broken = BrokenEngine()
    clock = [utcnow() + timedelta(seconds=GRACE_SECONDS + 1)]
    worker = sweeper(
        database,
        broken,
        clock=lambda: clock[0],
        policy=RetryPolicy(max_attempts=3, base_delay_seconds=1.0, jitter=0.0),
    )

    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            await worker.work_due()
            clock[0] += timedelta(minutes=10)

    assert len(broken.calls) == 3
    assert receipt_states(database) == ["unanswered"]
    [given_up] = [
        r
        for r in caplog.records
        if r.levelno == logging.ERROR and r.name == "bot.conversation.stranded"
    ]
    assert given_up.getMessage().startswith("stranded message left unanswered")
    assert given_up.error == "RuntimeError: the store hiccupped"  # type: ignore[attr-defined]
    with database.transaction() as session:
        assert stranded.count_unanswered(session) == 1
        [row] = session.scalars(select(InboundReceipt)).all()
        assert row.last_error == "RuntimeError: the store hiccupped"

    # The provider's own retry still gets it answered, once.
    engine = ConversationEngine(database, ScriptedDialogue(replies=["Yes, here"]))
    await engine.receive(sms("are you there?", "SM-poison"))
    await engine.receive(sms("are you there?", "SM-poison"))
    assert receipt_states(database) == ["answered"]
    assert replies_per_inbound(database) == {"are you there?": ["Yes, here"]}


async def test_what_the_adapter_decided_about_the_reply_survives_the_crash(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails at the answer transaction: an SMS STOP keeps its preset
    confirmation (sent despite the opt-out), a looping mail keeps its silence."""
    engine = ConversationEngine(database, ScriptedDialogue(replies=["dialogue answer"]))
    stop = sms(
        "STOP",
        "SM-stop",
        preset_reply="You are unsubscribed.",
        preset_reply_attributes={"consent_notice": True},
    )
    loop = sms("auto-reply: out of office", "SM-loop", no_reply_reason="automatic reply")

    def database_fails(*_: object) -> bool:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(receipts, "mark_answered", database_fails)
    for message in (stop, loop):
        with pytest.raises(RuntimeError):
            await engine.receive(message)
    monkeypatch.undo()
    assert receipt_states(database) == ["received", "received"]

    assert await sweeper(database, engine).work_due() == 2

    assert replies_per_inbound(database) == {
        "STOP": ["You are unsubscribed."],
        "auto-reply: out of office": [],
    }
    with database.transaction() as session:
        [reply] = session.scalars(select(Interaction).where(Interaction.direction == "out"))
        assert reply.attributes == {"consent_notice": True}
    assert receipt_states(database) == ["answered", "answered"]


def test_the_app_runs_the_sweeper_and_healthz_counts_unanswered_messages(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'sb.db'}", auto_migrate=True),
    )
    app = create_app(settings, dialogue=ScriptedDialogue())
    assert "stranded-message-sweeper" in app.state.services.workers
    database: Database = app.state.services.database
    asyncio.run(strand(database, sms("anyone?", "SM-x")))
    with database.transaction() as session:
        [row] = session.scalars(select(InboundReceipt)).all()
        stranded.give_up(session, row.id, error="RuntimeError: for the test")
    with TestClient(app) as client:
        health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["unanswered_messages"] == 1
