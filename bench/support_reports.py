"""Support report latency (GET /api/v1/reports/support) for a 90-day range on a large
store in PostgreSQL.

Generates, with COPY into a throwaway PostgreSQL (bench/summary.py's server helper),
100,000 customers and 300,000 conversations over a year with their event log (about
3 million events: openings, messages, bot answers and fallbacks, handoffs, agents'
replies, resolutions, reopenings, surveys) and the customers' fallen-back questions,
then asks the API (the real app under a TestClient, agents' token) for random 90-day
ranges, all channels and one channel: the whole report (GET /api/v1/reports/support)
and each of its sections (GET /api/v1/reports/support/{section}, as the dashboard
fetches them). The reference, timed in the same run on the same
pool: one `SELECT count(*)` of the events of the range, in its own transaction.

    .venv/bin/python bench/support_reports.py [--url postgresql+psycopg://...]
        [--conversations 300000] [--samples 40] [--encoder]

`--encoder` groups the unanswered questions with the sentence encoder, as a server with
its knowledge base does (the default here is the lexical grouping of the CLI).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
# The repository root before bench/ (which is first when this runs as a file), so
# `analytics` is the package and not bench/analytics.py, whatever imports it first.
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

import summary as server  # noqa: E402  (bench/summary.py: its throwaway PostgreSQL)

from analytics.support.report import SECTIONS  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.settings import DatabaseSettings, RateLimitSettings, Settings, SupportSettings  # noqa: E402
from crm_store import Database, staff, upgrade  # noqa: E402
from crm_store.models import AgentReply, CareCycle, LoggedEvent  # noqa: E402

CUSTOMERS = 100_000
AGENTS = 12
NOW = datetime.now(UTC)
CHANNELS = ("web", "web", "sms", "email")
QUESTIONS = (
    "do you ship to canada",
    "can i pay with bitcoin",
    "is there a student discount",
    "do you offer gift wrapping",
    "can i rent a tent",
    "what is the capital of peru",
)


class Silent:
    """No dialogue: the bench asks reports, nobody chats (no NLU model is loaded)."""

    async def respond(self, turn: object) -> list[object]:
        return []


class Writer:
    """Rows for COPY, numbered as the database would."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self.questions: list[tuple[object, ...]] = []
        self.conversations: list[tuple[object, ...]] = []
        self.interaction_id = 0

    def event(
        self,
        kind: str,
        key: str,
        at: datetime,
        conversation: tuple,
        cycle: int,
        actor: str,
        staff_id: int | None = None,
        data: dict | None = None,
    ) -> None:
        conversation_id, customer_id, channel = conversation
        data = data or {}
        if "decisions" in data:
            detail = ",".join(data["decisions"])
        else:
            detail = data.get("reason") or (str(data["score"]) if "score" in data else None)
        self.events.append(
            (
                f"{kind}:{key}",
                kind,
                at,
                channel,
                conversation_id,
                cycle,
                customer_id,
                actor,
                staff_id,
                detail,
                json.dumps(data),
            )
        )


def conversation_events(rng: random.Random, writer: Writer, number: int) -> None:
    customer_id = rng.randint(1, CUSTOMERS)
    channel = rng.choice(CHANNELS)
    start = NOW - timedelta(days=rng.uniform(0, 365))
    ids = (number, customer_id, channel)
    writer.conversations.append((number, customer_id, customer_id, channel, start))
    cycle, at = 1, start
    writer.event("conversation.opened", str(number), at, ids, 1, "customer")
    seq = 0
    while True:
        seq += 1
        writer.event("message.in", f"{number}-{seq}", at, ids, cycle, "customer")
        roll = rng.random()
        bot_at = at + timedelta(seconds=2)
        if roll < 0.6:
            writer.event(
                "message.out",
                f"{number}-{seq}b",
                bot_at,
                ids,
                cycle,
                "bot",
                data={"decisions": ["answer"]},
            )
            resolved = bot_at + timedelta(minutes=60)
            writer.event("conversation.resolved", f"{number}:{cycle}", resolved, ids, cycle, "bot")
        else:
            writer.interaction_id += 1
            writer.questions.append(
                (
                    writer.interaction_id,
                    number,
                    customer_id,
                    seq,
                    channel,
                    rng.choice(QUESTIONS),
                    at,
                )
            )
            writer.event(
                "message.out",
                f"{number}-{seq}b",
                bot_at,
                ids,
                cycle,
                "bot",
                data={"decisions": ["fallback"], "in_reply_to_id": writer.interaction_id},
            )
            if roll > 0.93:
                return
            handoff = bot_at + timedelta(minutes=rng.uniform(1, 30))
            agent = rng.randint(1, AGENTS)
            writer.event(
                "handoff.opened",
                f"{number}:{cycle}",
                handoff,
                ids,
                cycle,
                "bot",
                data={"reason": rng.choice(("customer_asked", "not_understood"))},
            )
            claimed = handoff + timedelta(minutes=rng.expovariate(1 / 40))
            writer.event(
                "handoff.claimed", f"{number}:{cycle}", claimed, ids, cycle, "agent", agent
            )
            reply = claimed
            for n in range(rng.randint(1, 3)):
                reply += timedelta(minutes=rng.uniform(1, 20))
                writer.event(
                    "message.out", f"{number}-{seq}a{n}", reply, ids, cycle, "agent", agent
                )
            resolved = reply + timedelta(minutes=rng.uniform(5, 120))
            writer.event(
                "conversation.resolved", f"{number}:{cycle}", resolved, ids, cycle, "agent", agent
            )
        writer.event(
            "survey.asked",
            f"{number}:{cycle}",
            resolved,
            ids,
            cycle,
            "system",
            data={"survey_id": number * 10 + cycle},
        )
        if rng.random() < 0.45:
            writer.event(
                "survey.answered",
                f"{number}:{cycle}",
                resolved + timedelta(minutes=9),
                ids,
                cycle,
                "customer",
                data={"survey_id": number * 10 + cycle, "score": rng.randint(1, 5)},
            )
        if rng.random() > 0.1 or cycle == 3:
            return
        cycle += 1
        at = resolved + timedelta(days=rng.uniform(0.1, 12))
        writer.event("conversation.reopened", f"{number}:{cycle}", at, ids, cycle, "customer")


def generate(database: Database, conversations: int, rng: random.Random) -> int:
    writer = Writer()
    for number in range(1, conversations + 1):
        conversation_events(rng, writer, number)
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()

        def copy(table: str, columns: str, rows: Iterator[tuple[object, ...]] | list) -> None:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as pipe:
                for row in rows:
                    pipe.write_row(row)

        copy(
            "staff_users",
            "id, name, email, role, api_token_hash, active, created_at",
            (
                (i, f"Agent {i}", f"a{i}@x.test", "agent", f"h{i}", True, NOW)
                for i in range(1, AGENTS + 1)
            ),
        )
        copy(
            "customers",
            "id, name, lifecycle_stage, attributes, created_at, updated_at",
            ((i, f"Customer {i}", "customer", "{}", NOW, NOW) for i in range(1, CUSTOMERS + 1)),
        )
        copy(
            "identities",
            "id, customer_id, channel, address, verified, created_at",
            ((i, i, "web", f"session-{i}", False, NOW) for i in range(1, CUSTOMERS + 1)),
        )
        copy(
            "conversations",
            "id, customer_id, identity_id, channel, owner, status, last_seq, slots, cycle, "
            "created_at, updated_at",
            (
                (n, c, i, ch, "bot", "resolved", 9, "{}", 1, at, at)
                for n, c, i, ch, at in writer.conversations
            ),
        )
        copy(
            "interactions",
            "id, conversation_id, customer_id, seq, direction, author, channel, text, sources, "
            "attributes, created_at",
            (
                (i, n, c, s, "in", "customer", ch, t, "[]", "{}", at)
                for i, n, c, s, ch, t, at in writer.questions
            ),
        )
        copy(
            "event_log",
            "key, type, occurred_at, channel, conversation_id, cycle, customer_id, actor, "
            "staff_id, detail, data",
            writer.events,
        )
        for table in ("staff_users", "customers", "identities", "conversations", "interactions"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return len(writer.events)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--conversations", type=int, default=300_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--encoder", action="store_true")
    args = parser.parse_args()
    rng = random.Random(18)
    with server.postgres(args.url) as server_url:
        url = server.fresh_database(server_url)
        # The events go in before migration 0021, whose backfill builds the care cycles
        # from them as it does when a store with history is upgraded.
        upgrade(url, "0020")
        database = Database(url)
        started = time.perf_counter()
        events = generate(database, args.conversations, rng)
        print(
            f"generated {args.conversations:,} conversations, {events:,} events "
            f"in {time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        upgrade(url)
        with database.transaction() as session:
            session.execute(text("ANALYZE care_cycles"))  # as autovacuum would, soon after
            session.execute(text("ANALYZE agent_replies"))
            cycles = session.scalar(select(func.count()).select_from(CareCycle))
            replies = session.scalar(select(func.count()).select_from(AgentReply))
        print(
            f"migrations 0021-0024 built {cycles:,} care cycles and {replies:,} agent replies "
            f"in {time.perf_counter() - started:.1f} s"
        )
        encoder = None
        if args.encoder:
            from knowledge.embeddings import SentenceEncoder

            encoder = SentenceEncoder()
        settings = Settings(
            data_dir=Path(tempfile.mkdtemp(prefix="bench-reports-")),
            database=DatabaseSettings(url=url, auto_migrate=False),
            support=SupportSettings(bot_resolves_after_minutes=0),
            # Six requests per sample, back to back: past the staff API's 10 per second
            # on a quiet machine. The limit is not what this measures.
            rate_limits=RateLimitSettings(enabled=False),
        )
        with TestClient(create_app(settings, dialogue=Silent(), encoder=encoder)) as client:
            with database.transaction() as session:
                _, token = staff.create_staff(session, name="Sam", email="sam@b.test", role="agent")
            headers = {"Authorization": f"Bearer {token}"}
            report, reference = [], []
            parts: dict[str, list[float]] = {name: [] for name in SECTIONS}
            for n in range(args.samples + 3):
                last = (NOW - timedelta(days=rng.uniform(0, 270))).date()
                first = last - timedelta(days=89)
                channel = "" if n % 2 else f"&channel={rng.choice(('web', 'sms', 'email'))}"
                began = time.perf_counter()
                answer = client.get(
                    f"/api/v1/reports/support?from={first}&to={last}{channel}", headers=headers
                )
                took = time.perf_counter() - began
                assert answer.status_code == 200, answer.text
                # Each section as the dashboard asks for it (all at once there; one after
                # another here, so each is timed alone).
                for name in SECTIONS:
                    began = time.perf_counter()
                    part = client.get(
                        f"/api/v1/reports/support/{name}?from={first}&to={last}{channel}",
                        headers=headers,
                    )
                    assert part.status_code == 200, part.text
                    if n >= 3:
                        parts[name].append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                with database.transaction() as session:
                    session.scalar(
                        select(func.count())
                        .select_from(LoggedEvent)
                        .where(
                            LoggedEvent.occurred_at
                            >= datetime.combine(first, datetime.min.time(), UTC),
                            LoggedEvent.occurred_at
                            < datetime.combine(last, datetime.min.time(), UTC) + timedelta(days=1),
                        )
                    )
                counted = time.perf_counter() - began
                if n >= 3:  # the first few warm the pool and the caches
                    report.append(took * 1000)
                    reference.append(counted * 1000)
            cycles = answer.json()["bot_resolution"]["denominator"]
        timed = [
            ("report API, 90 days", report),
            *((f"  section {name}", samples) for name, samples in parts.items()),
            ("reference count(*)", reference),
        ]
        for name, samples in timed:
            print(
                f"{name:28} p50 {statistics.median(samples):7.1f} ms   "
                f"p99 {percentile(samples, 0.99):7.1f} ms   ({len(samples)} requests)"
            )
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"load average at the end: {load} (on {os.cpu_count()} cores)")
        print(
            f"ratio p50 {statistics.median(report) / statistics.median(reference):.1f}x, "
            f"last range: {cycles:,} care cycles the bot took part in "
            f"({'encoder' if encoder else 'lexical'} grouping)"
        )
        database.dispose()


if __name__ == "__main__":
    main()
