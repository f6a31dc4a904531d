"""Account summary latency on a large store in PostgreSQL.

Generates 100,000 customers (in 10,000 accounts of skewed sizes, a fifth without an
account), 1,000,000 interactions, 200,000 orders, 50,000 tickets and 10,000 leads with
COPY into a throwaway PostgreSQL (scripts/postgres.sh), then times `account_summary`
for a few hundred random accounts and customers, each in its own transaction as the
API runs it. The reference, measured in the same run on the same connection pool: one
primary-key SELECT in its own transaction. Also times `find_subjects` for an email, a
phone and a name.

    .venv/bin/python bench/summary.py [--url postgresql+psycopg://...] [--samples 300]

Without --url it starts its own server in a temporary directory and stops it after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm_store import Database, upgrade  # noqa: E402
from crm_store.models import Customer  # noqa: E402
from crm_store.summaries import account_summary, find_subjects  # noqa: E402

ACCOUNTS = 10_000
CUSTOMERS = 100_000
INTERACTIONS = 1_000_000
ORDERS = 200_000
TICKETS = 50_000
LEADS = 10_000
NOW = datetime.now(UTC)
CHANNELS = ("web", "sms", "email")
AREAS = ("202", "212", "303", "312", "415", "503", "512", "617", "702", "808", "919")
ORDER_STATUSES = ("delivered",) * 8 + ("shipped", "cancelled", "returned", "placed")
TICKET_STATUSES = ("open", "pending", "solved", "closed", "closed", "solved")


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    directory = Path(tempfile.mkdtemp(prefix="bench-summary-pg-"))
    port = str(random.randint(30_000, 39_999))
    script = str(ROOT / "scripts" / "postgres.sh")
    started = subprocess.run(
        [script, "start", str(directory), port], check=True, capture_output=True, text=True
    )
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([script, "stop", str(directory)], check=False)


def fresh_database(server_url: str) -> str:
    name = f"bench_summary_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def phone(i: int) -> str:
    return f"+1{AREAS[i // 10_000]}555{i % 10_000:04d}"


def ago(rng: random.Random, days: float) -> datetime:
    return NOW - timedelta(days=rng.uniform(0, days))


def generate(database: Database, rng: random.Random) -> None:
    # Account sizes are skewed (a few accounts hold hundreds of contacts), as in life.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(ACCOUNTS)]
    homes = rng.choices(range(1, ACCOUNTS + 1), weights, k=CUSTOMERS)
    activity = rng.choices(range(1, CUSTOMERS + 1), k=INTERACTIONS)
    buyers = rng.choices(range(1, CUSTOMERS + 1), k=ORDERS)
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()

        def copy(table: str, columns: str, rows: Iterator[tuple[object, ...]]) -> None:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as pipe:
                for row in rows:
                    pipe.write_row(row)

        copy(
            "accounts",
            "id, name, domain, attributes, created_at",
            ((i, f"Account {i}", f"a{i}.test", "{}", NOW) for i in range(1, ACCOUNTS + 1)),
        )
        copy(
            "staff_users",
            "id, name, email, role, api_token_hash, active, created_at",
            ((i, f"Staff {i}", f"s{i}@x.test", "sales", f"h{i}", True, NOW) for i in range(1, 11)),
        )
        copy(
            "customers",
            "id, account_id, name, email, phone, lifecycle_stage, attributes, created_at, "
            "updated_at",
            (
                (
                    i,
                    homes[i - 1] if i % 5 else None,
                    f"Customer {i}",
                    f"c{i}@example.com",
                    phone(i),
                    "customer",
                    "{}",
                    NOW,
                    NOW,
                )
                for i in range(1, CUSTOMERS + 1)
            ),
        )
        copy(
            "identities",
            "id, customer_id, channel, address, verified, created_at",
            ((i, i, CHANNELS[i % 3], f"addr-{i}", True, NOW) for i in range(1, CUSTOMERS + 1)),
        )
        copy(
            "conversations",
            "id, customer_id, identity_id, channel, owner, status, last_seq, slots, created_at, "
            "updated_at",
            (
                (i, i, i, CHANNELS[i % 3], "bot", "resolved", 0, "{}", NOW, NOW)
                for i in range(1, CUSTOMERS + 1)
            ),
        )
        seqs: dict[int, int] = {}

        def interactions() -> Iterator[tuple[object, ...]]:
            for i, customer in enumerate(activity, start=1):
                seq = seqs[customer] = seqs.get(customer, 0) + 1
                yield (
                    i,
                    customer,
                    customer,
                    seq,
                    "in" if seq % 2 else "out",
                    "customer" if seq % 2 else "bot",
                    CHANNELS[customer % 3],
                    "where is my order?",
                    "[]",
                    "{}",
                    ago(rng, 365),
                )

        copy(
            "interactions",
            "id, conversation_id, customer_id, seq, direction, author, channel, text, sources, "
            "attributes, created_at",
            interactions(),
        )
        copy(
            "orders",
            "id, number, customer_id, status, total_cents, currency, items, placed_at, updated_at",
            (
                (
                    i,
                    str(100_000 + i),
                    customer,
                    rng.choice(ORDER_STATUSES),
                    rng.randint(500, 90_000),
                    "EUR" if customer % 7 == 0 else "USD",
                    "[]",
                    ago(rng, 730),
                    NOW,
                )
                for i, customer in enumerate(buyers, start=1)
            ),
        )
        copy(
            "tickets",
            "id, number, customer_id, subject, description, status, priority, created_at, "
            "updated_at",
            (
                (
                    i,
                    f"T-{1000 + i}",
                    rng.randint(1, CUSTOMERS),
                    "Parcel late",
                    "",
                    rng.choice(TICKET_STATUSES),
                    "normal",
                    ago(rng, 365),
                    ago(rng, 60),
                )
                for i in range(1, TICKETS + 1)
            ),
        )
        copy(
            "leads",
            "id, customer_id, interest, status, owner_staff_id, created_at, updated_at",
            (
                (i, rng.randint(1, CUSTOMERS), "Desks", "new", rng.randint(1, 10), NOW, NOW)
                for i in range(1, LEADS + 1)
            ),
        )
        for table in ("accounts", "customers", "identities", "conversations", "interactions"):
            cursor.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def timed(run: Callable[[], object], samples: int) -> list[float]:
    spent = []
    for _ in range(samples):
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def figures(name: str, values: list[float], reference: float | None = None) -> str:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    line = f"{name:<44} n={len(values):<4} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
    if reference:
        line += f"  p50 = {p50 / reference:5.1f}x the reference"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a PostgreSQL server to use (a new database is made)")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--scale", type=float, default=1.0, help="smaller data, for a trial")
    args = parser.parse_args()
    if args.scale != 1.0:
        global ACCOUNTS, CUSTOMERS, INTERACTIONS, ORDERS, TICKETS, LEADS
        ACCOUNTS, CUSTOMERS, INTERACTIONS, ORDERS, TICKETS, LEADS = (
            max(20, int(n * args.scale))
            for n in (ACCOUNTS, CUSTOMERS, INTERACTIONS, ORDERS, TICKETS, LEADS)
        )
    rng = random.Random(5)
    with postgres(args.url) as server:
        url = fresh_database(server)
        upgrade(url)
        database = Database(url)
        started = time.perf_counter()
        generate(database, rng)
        print(
            f"generated {CUSTOMERS:,} customers in {ACCOUNTS:,} accounts, "
            f"{INTERACTIONS:,} interactions, {ORDERS:,} orders, {TICKETS:,} tickets, "
            f"{LEADS:,} leads in {time.perf_counter() - started:.0f} s"
        )
        accounts = [rng.randint(1, ACCOUNTS) for _ in range(args.samples)]
        people = [rng.randint(1, CUSTOMERS) for _ in range(args.samples)]
        keys = iter(rng.randint(1, CUSTOMERS) for _ in range(10 * args.samples))

        def by_key() -> None:
            with database.transaction() as session:
                session.execute(select(Customer.id).where(Customer.id == next(keys))).one()

        def summary(**subject: int) -> Callable[[], object]:
            def run() -> object:
                with database.transaction() as session:
                    return account_summary(session, **subject)

            return run

        def search(query: str) -> Callable[[], object]:
            def run() -> object:
                with database.transaction() as session:
                    return find_subjects(session, query)

            return run

        timed(by_key, 100)  # warm the pool and the caches
        for account_id in accounts[:50]:
            summary(account_id=account_id)()
        reference = timed(by_key, args.samples)
        ref50 = statistics.median(reference)
        on_accounts = [timed(summary(account_id=a), 1)[0] for a in accounts]
        on_people = [timed(summary(customer_id=c), 1)[0] for c in people]
        statements: list[str] = []
        event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        with database.transaction() as session:
            largest = account_summary(session, account_id=1)
        print(f"queries per account summary: {len(statements)}")
        print(figures("reference: primary-key SELECT, own transaction", reference))
        print(figures("account_summary, random accounts", on_accounts, ref50))
        print(figures("account_summary, random customers", on_people, ref50))
        print(
            figures(
                f"account_summary, largest account ({largest.contacts_total} contacts)",
                timed(summary(account_id=1), 30),
                ref50,
            )
        )
        for label, query in (
            ("email", "c4242@example.com"),
            ("phone", "(202) 555-4242"),
            ("name (exact)", "account 4242"),
            ("name (contains, no match)", "nobody like this"),
        ):
            print(figures(f"find_subjects by {label}", timed(search(query), 30), ref50))
        print(json.dumps({"biggest_account_orders": largest.order_count}))
        database.dispose()


if __name__ == "__main__":
    main()
