"""The engine on SQLite and PostgreSQL: record once, answer once, log before sending."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.conversation.engine import SOMETHING_WENT_WRONG, ConversationEngine
from bot.delivery.worker import DeliveryWorker, RetryPolicy
from channels.messages import Channel, ContactProfile, InboundMessage
from crm_store import Database, history
from crm_store.models import InboundReceipt, Interaction, OutboxMessage
from tests.support.fakes import RecordingSender, ScriptedDialogue, ScriptedUnderstander


def inbound(
    text: str = "hello",
    *,
    message_id: str = "m1",
    address: str = "+15550100",
    name: str | None = "Ada Lovelace",
) -> InboundMessage:
    return InboundMessage(
        channel=Channel.TERMINAL,
        address=address,
        provider_message_id=message_id,
        text=text,
        profile=ContactProfile(name=name),
    )


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def dialogue() -> ScriptedDialogue:
    return ScriptedDialogue()


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def worker(database: Database, sender: RecordingSender) -> DeliveryWorker:
    return DeliveryWorker(
        database, {Channel.TERMINAL: sender}, policy=RetryPolicy(base_delay_seconds=0.0)
    )


@pytest.fixture
def engine(
    database: Database, dialogue: ScriptedDialogue, worker: DeliveryWorker
) -> ConversationEngine:
    return ConversationEngine(database, dialogue, outbox_written=worker.wake)


async def test_reply_is_logged_with_outbox_row_then_sent(
    engine: ConversationEngine,
    worker: DeliveryWorker,
    database: Database,
    sender: RecordingSender,
    dialogue: ScriptedDialogue,
) -> None:
    result = await engine.receive(inbound("hello"))

    assert [r.text for r in result.replies] == ["Hello from the bot"]
    assert result.message.seq == 1 and result.replies[0].seq == 2
    assert dialogue.turns[0].customer.name == "Ada Lovelace"
    assert sender.sent == []  # logged first; nothing sent by the engine itself
    assert count(database, OutboxMessage) == 1

    assert await worker.deliver_due() == 1
    assert [m.text for m in sender.sent] == ["Hello from the bot"]
    assert sender.sent[0].address == "+15550100"
    with database.transaction() as session:
        rows = history.messages_after(session, result.conversation_id, 0)
    assert [(r.direction, r.author, r.delivery_status) for r in rows] == [
        ("in", "customer", None),
        ("out", "bot", "sent"),
    ]
    assert rows[1].intent == "scripted" and rows[1].confidence == pytest.approx(0.9)


async def test_same_inbound_three_times_gives_one_interaction_and_one_reply(
    engine: ConversationEngine,
    worker: DeliveryWorker,
    database: Database,
    sender: RecordingSender,
    dialogue: ScriptedDialogue,
) -> None:
    first = await engine.receive(inbound())
    second = await engine.receive(inbound())
    third = await engine.receive(inbound())
    while await worker.deliver_due():
        pass

    assert not first.duplicate and second.duplicate and third.duplicate
    assert second.replies == first.replies == third.replies
    assert len(dialogue.turns) == 1
    assert count(database, Interaction) == 2
    assert count(database, InboundReceipt) == 1
    assert len(sender.sent) == 1


async def test_concurrent_retries_still_answer_once(
    engine: ConversationEngine,
    worker: DeliveryWorker,
    database: Database,
    sender: RecordingSender,
) -> None:
    results = await asyncio.gather(*(engine.receive(inbound()) for _ in range(5)))
    while await worker.deliver_due():
        pass

    assert len({r.message.seq for r in results}) == 1
    assert count(database, Interaction) == 2
    assert len(sender.sent) == 1


async def test_conversation_owned_by_a_person_gets_no_bot_reply(
    engine: ConversationEngine,
    database: Database,
    dialogue: ScriptedDialogue,
) -> None:
    first = await engine.receive(inbound("hello", message_id="m1"))
    with database.transaction() as session:
        history.set_owner(session, first.conversation_id, "agent")

    later = await engine.receive(inbound("are you there?", message_id="m2"))

    assert later.replies == []
    assert len(dialogue.turns) == 1
    with database.transaction() as session:
        texts = [r.text for r in history.messages_after(session, first.conversation_id, 0)]
    assert texts == ["hello", "Hello from the bot", "are you there?"]


async def test_messages_from_one_address_share_customer_and_conversation(
    engine: ConversationEngine,
    dialogue: ScriptedDialogue,
) -> None:
    a = await engine.receive(inbound("one", message_id="m1"))
    b = await engine.receive(inbound("two", message_id="m2"))
    other = await engine.receive(inbound("three", message_id="m3", address="+15550199"))

    assert a.conversation_id == b.conversation_id != other.conversation_id
    assert dialogue.turns[0].customer.id == dialogue.turns[1].customer.id
    assert dialogue.turns[2].customer.id != dialogue.turns[0].customer.id
    assert [m.text for m in dialogue.turns[1].history] == ["one", "Hello from the bot", "two"]


async def test_concurrent_first_messages_from_new_address_open_one_conversation(
    engine: ConversationEngine,
    database: Database,
) -> None:
    results = await asyncio.gather(
        *(engine.receive(inbound(f"msg {i}", message_id=f"m{i}")) for i in range(4))
    )
    assert len({r.conversation_id for r in results}) == 1
    seqs = sorted(s for r in results for s in [r.message.seq, *(x.seq for x in r.replies)])
    assert seqs == list(range(1, 9))


async def test_feed_replays_only_the_addresses_own_conversation(
    engine: ConversationEngine,
) -> None:
    await engine.receive(inbound("mine", message_id="m1", address="+1001"))
    await engine.receive(inbound("theirs", message_id="m2", address="+1002"))

    conversation_id, messages = await engine.messages_after(Channel.TERMINAL, "+1001", 0)
    assert [m.text for m in messages] == ["mine", "Hello from the bot"]
    _, after_first = await engine.messages_after(Channel.TERMINAL, "+1001", 1)
    assert [m.seq for m in after_first] == [2]
    assert await engine.messages_after(Channel.TERMINAL, "+unknown", 0) == (None, [])
    assert conversation_id is not None


async def test_what_nlu_understood_is_stored_on_the_inbound_interaction(
    database: Database, dialogue: ScriptedDialogue
) -> None:
    understander = ScriptedUnderstander()
    engine = ConversationEngine(database, dialogue, understander=understander)

    result = await engine.receive(inbound("where is my order 4417?"))
    await engine.receive(inbound("where is my order 4417?"))  # a retry: not parsed again

    assert understander.texts == ["where is my order 4417?"]
    assert dialogue.turns[0].understanding == understander.understanding
    with database.transaction() as session:
        stored = history.messages_after(session, result.conversation_id, 0)[0]
    assert (stored.intent, stored.confidence) == ("order_status", pytest.approx(0.97))
    assert stored.attributes["entities"][0]["value"] == "4417"


async def test_a_failing_nlu_loses_nothing_and_the_bot_still_answers(
    database: Database, dialogue: ScriptedDialogue
) -> None:
    engine = ConversationEngine(database, dialogue, understander=ScriptedUnderstander(fail=True))
    result = await engine.receive(inbound("hello"))
    assert [r.text for r in result.replies] == ["Hello from the bot"]
    assert dialogue.turns[0].understanding is None
    assert count(database, Interaction) == 2


class BrokenDialogue:
    async def respond(self, turn: object) -> list[object]:
        raise RuntimeError("the knowledge index is gone")


async def test_a_failing_dialogue_still_answers_and_logs_the_answer(database: Database) -> None:
    engine = ConversationEngine(database, BrokenDialogue())  # type: ignore[arg-type]
    result = await engine.receive(inbound("hello"))
    assert [r.text for r in result.replies] == [SOMETHING_WENT_WRONG]
    again = await engine.receive(inbound("hello"))  # the retry finds it answered
    assert again.duplicate and again.replies == result.replies
    assert count(database, Interaction) == 2


async def test_a_preset_reply_is_logged_and_sent_without_nlu_or_dialogue(
    database: Database, dialogue: ScriptedDialogue
) -> None:
    understander = ScriptedUnderstander()
    engine = ConversationEngine(database, dialogue, understander=understander)
    message = InboundMessage(
        channel=Channel.TERMINAL,
        address="+15550100",
        provider_message_id="kw1",
        text="STOP",
        preset_reply="You are unsubscribed.",
    )

    result = await engine.receive(message)

    assert [r.text for r in result.replies] == ["You are unsubscribed."]
    assert understander.texts == [] and dialogue.turns == []
    assert count(database, OutboxMessage) == 1


async def test_a_person_owned_conversation_gets_consent_notices_but_no_other_preset(
    database: Database, dialogue: ScriptedDialogue
) -> None:
    engine = ConversationEngine(database, dialogue, understander=ScriptedUnderstander())
    first = await engine.receive(inbound("I need a person", message_id="p0"))
    with database.transaction() as session:
        history.set_owner(session, first.conversation_id, "agent")

    def preset(message_id: str, text: str, reply: str, **attributes: object) -> InboundMessage:
        return InboundMessage(
            channel=Channel.TERMINAL,
            address="+15550100",
            provider_message_id=message_id,
            text=text,
            preset_reply=reply,
            preset_reply_attributes=attributes,
        )

    # A picture alone: the agent has the conversation, the bot stays quiet.
    photo = await engine.receive(preset("p1", "", "I can't look at pictures myself."))
    # STOP: its confirmation is the carrier's rule, whoever owns the conversation.
    stop = await engine.receive(preset("p2", "STOP", "You are unsubscribed.", consent_notice=True))

    assert photo.replies == []
    assert [r.text for r in stop.replies] == ["You are unsubscribed."]
    assert len(dialogue.turns) == 1


async def test_a_no_reply_message_is_logged_with_its_reason_and_nothing_is_sent(
    database: Database, dialogue: ScriptedDialogue
) -> None:
    engine = ConversationEngine(database, dialogue, understander=ScriptedUnderstander())
    message = InboundMessage(
        channel=Channel.TERMINAL,
        address="daemon@example.com",
        provider_message_id="loop1",
        text="Out of office",
        no_reply_reason="auto-submitted",
    )

    result = await engine.receive(message)

    assert result.replies == [] and dialogue.turns == []
    assert count(database, OutboxMessage) == 0
    with database.transaction() as session:
        stored = history.messages_after(session, result.conversation_id, 0)
    assert [(r.text, r.attributes["no_reply_reason"]) for r in stored] == [
        ("Out of office", "auto-submitted")
    ]
