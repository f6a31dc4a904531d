"""Messages per second through the conversation engine, against bare inserts.

Each engine message costs two transactions (intake, answer) with several statements;
the reference is one single-row INSERT transaction per message on the same SQLite file,
measured in the same run. Prints medians of 5 rounds and the ratio.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bot.conversation.dialogue import RuleDialogue
from bot.conversation.engine import ConversationEngine
from bot.delivery.worker import DeliveryWorker
from channels.messages import Channel, InboundMessage, OutboundMessage, SendReceipt
from crm_store import Database, upgrade

MESSAGES = 300
ROUNDS = 5


class NullSender:
    channel = Channel.SMS

    async def send(self, message: OutboundMessage) -> SendReceipt:
        return SendReceipt(provider_message_id=str(message.outbox_id))


async def engine_round(database: Database, round_no: int) -> float:
    worker = DeliveryWorker(database, {Channel.SMS: NullSender()}, batch_size=100)
    engine = ConversationEngine(database, RuleDialogue())
    started = time.perf_counter()
    for n in range(MESSAGES):
        await engine.receive(
            InboundMessage(
                channel=Channel.SMS,
                address=f"+1555{n % 50:07d}",
                provider_message_id=f"r{round_no}-m{n}",
                text="hello there",
            )
        )
    while await worker.deliver_due():
        pass
    return MESSAGES / (time.perf_counter() - started)


def insert_round(database: Database) -> float:
    with database.engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE IF NOT EXISTS bench_ref (id INTEGER PRIMARY KEY, body TEXT)")
        )
    started = time.perf_counter()
    for n in range(MESSAGES):
        with database.transaction() as session:
            session.execute(text("INSERT INTO bench_ref (body) VALUES (:b)"), {"b": f"m{n}"})
    return MESSAGES / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        database = Database(url)
        engine_rates, insert_rates = [], []
        for round_no in range(ROUNDS):
            insert_rates.append(insert_round(database))
            engine_rates.append(asyncio.run(engine_round(database, round_no)))
        database.dispose()
    engine_rate = statistics.median(engine_rates)
    insert_rate = statistics.median(insert_rates)
    print(
        f"engine (receive + answer + deliver), SQLite: {engine_rate:8.1f} messages/s "
        f"(median of {ROUNDS} x {MESSAGES})"
    )
    print(f"reference: one-row insert transactions:      {insert_rate:8.1f} inserts/s")
    print(f"ratio engine/reference: {engine_rate / insert_rate:.3f}")


if __name__ == "__main__":
    main()
