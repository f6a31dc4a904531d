"""The privacy pieces' costs, each against a reference measured in the same run (SQLite):

1. Exporting one customer with a long history (`crm_store/export.py`, streamed in pages):
   seconds and the Python heap's peak (tracemalloc), against reading the same
   interactions whole and serialising them as one JSON document (what an export that
   is not streamed would hold).
2. Writing a message (`history.append`) with one webhook subscription listening, whose
   event row is written in the same transaction, against the same append with none.

Usage: .venv/bin/python bench/privacy.py [INTERACTIONS] [APPENDS_PER_ROUND]
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert, select

from crm_store import (
    Database,
    customers,
    export,
    history,
    upgrade,
    webhook_subscriptions,
)
from crm_store.base import utcnow
from crm_store.models import Interaction
from crm_store.records import NewInteraction

ROUNDS = 5


def measured(work: Callable[[], object]) -> tuple[float, float]:
    """Seconds and peak heap MiB of one call."""
    tracemalloc.start()
    started = time.perf_counter()
    work()
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return took, peak


def seed_history(database: Database, count: int) -> int:
    with database.transaction() as session:
        ada, identity = customers.resolve_identity(session, "sms", "+14155550101", name="Ada")
        conversation = history.current_conversation(
            session, customer_id=ada.id, identity_id=identity.id, channel="sms"
        )
        now = utcnow()
        text = "Where is my order? It was due on Monday and the tracking page says nothing. " * 3
        for start in range(0, count, 5000):
            session.execute(
                insert(Interaction),
                [
                    {
                        "conversation_id": conversation.id,
                        "customer_id": ada.id,
                        "seq": n + 1,
                        "direction": "in",
                        "author": "customer",
                        "channel": "sms",
                        "text": f"{n}: {text}",
                        "sources": [],
                        "attributes": {},
                        "created_at": now,
                    }
                    for n in range(start, min(count, start + 5000))
                ],
            )
        return ada.id


def export_figures(database: Database, customer_id: int, interactions: int) -> None:
    def streamed() -> None:
        with database.transaction() as session:
            export.export_customer(session, customer_id, io.BytesIO())

    def whole() -> None:
        with database.transaction() as session:
            rows = (
                session.execute(
                    select(Interaction.__table__).where(Interaction.customer_id == customer_id)
                )
                .mappings()
                .all()
            )
            json.dumps([{k: str(v) for k, v in row.items()} for row in rows]).encode()

    streamed()  # warm the caches and the file
    whole()
    ref_s, ref_mib = measured(whole)
    exp_s, exp_mib = measured(streamed)
    print(f"customer with {interactions:,} interactions")
    print(f"reference: read whole + one json.dumps  {ref_s:7.2f} s  peak heap {ref_mib:8.1f} MiB")
    print(
        f"export_customer (zip, streamed)        {exp_s:7.2f} s  peak heap {exp_mib:8.1f} MiB"
        f"  = {exp_s / ref_s:.2f}x the time, {exp_mib / ref_mib:.3f}x the memory"
    )


def append_figures(database: Database, appends: int) -> None:
    with database.transaction() as session:
        bob, identity = customers.resolve_identity(session, "sms", "+14155550102", name="Bob")
        conversation = history.current_conversation(
            session, customer_id=bob.id, identity_id=identity.id, channel="sms"
        )

    def append_each() -> list[float]:
        took = []
        for n in range(appends):
            started = time.perf_counter()
            with database.transaction() as session:
                history.append(
                    session,
                    conversation,
                    NewInteraction(direction="in", author="customer", text=f"hello {n}"),
                )
            took.append((time.perf_counter() - started) * 1000)
        return took

    append_each()  # warm up
    with database.transaction() as session:
        subscription = webhook_subscriptions.create_subscription(
            session,
            url="https://example.com/hooks",
            events=["message.created"],
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            description=None,
        ).id
    reference: list[float] = []
    listened: list[float] = []
    for _ in range(ROUNDS):  # interleaved, so a busy moment hits both alike
        for active, into in ((False, reference), (True, listened)):
            with database.transaction() as session:
                webhook_subscriptions.change_subscription(session, subscription, active=active)
            into.extend(append_each())
    ref, lis = statistics.median(reference), statistics.median(listened)
    print(f"reference: history.append, no subscription  n={len(reference)}  median {ref:6.2f} ms")
    print(
        f"history.append + message.created event row   n={len(listened)}  median {lis:6.2f} ms"
        f"  = {lis / ref:.2f}x the reference"
    )


def main() -> None:
    interactions = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    appends = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        database = Database(url)
        try:
            customer_id = seed_history(database, interactions)
            export_figures(database, customer_id, interactions)
            append_figures(database, appends)
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
