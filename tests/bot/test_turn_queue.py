"""Turns past the limit wait in arrival order (bot/conversation/turn_queue.py), and the
engine works on no more at once, answering every message once all the same."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.conversation.dialogue import Reply, Turn
from bot.conversation.engine import ConversationEngine
from bot.conversation.turn_queue import TurnQueue
from bot.settings import Settings
from channels.messages import Channel, ContactProfile, InboundMessage
from crm_store import Database
from crm_store.models import InboundReceipt, Interaction


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def _settle() -> None:
    """Let every task that can run, run (hand-overs take a loop callback or two)."""
    for _ in range(20):
        await asyncio.sleep(0)


class _Turns:
    """Turns that enter a queue, note when they started and end when told to."""

    def __init__(self, queue: TurnQueue) -> None:
        self.queue = queue
        self.started: list[int] = []
        self.finish: dict[int, asyncio.Event] = {}

    async def run(self, n: int) -> None:
        self.finish[n] = asyncio.Event()
        async with self.queue.turn():
            self.started.append(n)
            await self.finish[n].wait()


async def test_turns_past_the_limit_start_in_the_order_they_came() -> None:
    turns = _Turns(TurnQueue(2))
    tasks = []
    for n in range(6):
        tasks.append(asyncio.create_task(turns.run(n)))
        await _settle()  # each arrives after the one before

    assert turns.started == [0, 1]
    assert (turns.queue.in_progress, turns.queue.waiting) == (2, 4)
    for ending in [1, 0, 3, 2, 5, 4]:  # turns end in any order; the line moves in order
        turns.finish[ending].set()
        await _settle()
        assert turns.queue.in_progress <= 2
    assert turns.started == [0, 1, 2, 3, 4, 5]
    await asyncio.gather(*tasks)
    assert (turns.queue.in_progress, turns.queue.waiting) == (0, 0)


async def test_a_newcomer_does_not_take_a_slot_before_the_turns_already_waiting() -> None:
    turns = _Turns(TurnQueue(1))
    first = asyncio.create_task(turns.run(0))
    await _settle()
    second = asyncio.create_task(turns.run(1))
    await _settle()
    turns.finish[0].set()
    third = asyncio.create_task(turns.run(2))  # arrives as the slot is handed on
    await _settle()

    assert turns.started == [0, 1]
    turns.finish[1].set()
    await _settle()
    turns.finish[2].set()
    await asyncio.gather(first, second, third)
    assert turns.started == [0, 1, 2]


async def test_a_turn_that_stops_waiting_gives_up_its_place_and_loses_no_slot() -> None:
    turns = _Turns(TurnQueue(1))
    first = asyncio.create_task(turns.run(0))
    await _settle()
    leaving = asyncio.create_task(turns.run(1))
    staying = asyncio.create_task(turns.run(2))
    await _settle()
    leaving.cancel()
    await _settle()
    turns.finish[0].set()
    await _settle()

    assert turns.started == [0, 2]
    turns.finish[2].set()
    await asyncio.gather(first, staying)
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert (turns.queue.in_progress, turns.queue.waiting) == (0, 0)


@pytest.mark.parametrize(
    "loop_steps", [0, 1], ids=["cancelled with the slot on its way", "after it arrived"]
)
async def test_a_turn_cancelled_as_the_slot_is_handed_to_it_hands_it_on(
    loop_steps: int,
) -> None:
    queue = TurnQueue(1)
    turns = _Turns(queue)
    held = queue.turn()
    await held.__aenter__()
    unlucky = asyncio.create_task(turns.run(1))
    next_in_line = asyncio.create_task(turns.run(2))
    await _settle()

    await held.__aexit__(None, None, None)  # the slot goes to the first waiter ...
    for _ in range(loop_steps):
        await asyncio.sleep(0)  # ... and reaches it, which has not run since
    unlucky.cancel()
    await _settle()

    assert turns.started == [2]
    turns.finish[2].set()
    await next_in_line
    assert unlucky.cancelled()
    assert (queue.in_progress, queue.waiting) == (0, 0)


def test_a_queue_lets_at_least_one_turn_in() -> None:
    with pytest.raises(ValueError):
        TurnQueue(0)


def test_the_setting_sizes_each_process_queue() -> None:
    assert Settings().processes.turns_at_once == 64
    assert Settings(processes={"turns_at_once": 8}).processes.turns_at_once == 8


class _HeldDialogue:
    """Answers each turn once its text is released; counts the turns in its hands."""

    def __init__(self) -> None:
        self.release: dict[str, asyncio.Event] = {}
        self.seen: list[str] = []
        self.at_once = 0
        self.most_at_once = 0

    async def respond(self, turn: Turn) -> list[Reply]:
        text = turn.message.text
        self.seen.append(text)
        self.at_once += 1
        self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            await self.release.setdefault(text, asyncio.Event()).wait()
        finally:
            self.at_once -= 1
        return [Reply(f"answer to {text}", intent="scripted", confidence=0.9)]


def _message(n: int, *, message_id: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel=Channel.TERMINAL,
        address=f"+1555010{n}",
        provider_message_id=message_id or f"m{n}",
        text=f"question {n}",
        profile=ContactProfile(name=f"Customer {n}"),
    )


async def _until(condition: object, tries: int = 500) -> None:
    for _ in range(tries):  # store transactions run on threads: wait on the condition
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the engine did not get there")


async def test_the_engine_works_on_at_most_its_limit_and_starts_the_rest_in_order(
    database: Database,
) -> None:
    dialogue = _HeldDialogue()
    engine = ConversationEngine(database, dialogue, turns=TurnQueue(2))
    tasks = []
    for n in range(5):
        tasks.append(asyncio.create_task(engine.receive(_message(n))))
        await _settle()
    await _until(lambda: len(dialogue.seen) == 2)
    retry = asyncio.create_task(engine.receive(_message(0)))  # a resend waits its turn

    for n in range(5):  # each answer lets the next in line in, in the order they came
        dialogue.release.setdefault(f"question {n}", asyncio.Event()).set()
        await _until(lambda n=n: len(dialogue.seen) >= min(5, n + 3))
    results = await asyncio.gather(*tasks)
    resent = await retry

    # The first two were let in together (their intakes race on the store's threads);
    # each of the others started alone, as a turn ended, in the order they came.
    assert sorted(dialogue.seen[:2]) == ["question 0", "question 1"]
    assert dialogue.seen[2:] == ["question 2", "question 3", "question 4"]
    assert dialogue.most_at_once == 2
    assert [r.replies[0].text for r in results] == [f"answer to question {n}" for n in range(5)]
    assert resent.duplicate and resent.replies[0].seq == results[0].replies[0].seq
    assert count(database, InboundReceipt) == 5
    assert count(database, Interaction) == 10  # each message and its one answer
