"""Erasing customers from a large PostgreSQL store, and that nobody else is touched.

Builds the summary benchmark's data set (bench/summary.py: 100,000 customers, 1,000,000
interactions, 200,000 orders, 50,000 tickets, 10,000 leads, with COPY) in a throwaway
PostgreSQL, then erases `--erase` random customers (1,000) the way the server does:
`erasures.start` (checklist, tombstones, audit) and the erasure worker working the
store step (crm_store/erasure.py over the foreign-key walk). The reference, measured in
the same run on the same store: exporting one customer (crm_store/export.py), the
other privacy act that walks the same tables.

Unaffected: before and after, per table the export walks, the rows that are not the
erased customers' are counted, and an md5 over the other customers' rows (customers,
interactions, orders) is compared.

    .venv/bin/python bench/erasure.py [--url postgresql+psycopg://...] [--erase 1000]
                                      [--scale 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import summary as data_set  # noqa: E402

from bot.delivery.queue import RetryPolicy  # noqa: E402
from bot.erasure.queue import ErasureWorker  # noqa: E402
from bot.erasure.steps import ErasureSteps  # noqa: E402
from crm_store import Database, erasures, export, upgrade  # noqa: E402
from crm_store.models import Customer  # noqa: E402

KEY = b"bench-erasure-key"
CHECKSUMMED = ("customers", "interactions", "orders")


def others(database: Database, erased: list[int]) -> dict[str, int]:
    """Per walked table: rows that are not the erased customers'."""
    customers = Customer.__table__
    tables = export.customer_tables()
    links = {table.name: columns for table, columns in tables}
    ids = select(customers.c.id).where(customers.c.id.in_(erased))
    counts = {}
    with database.transaction() as session:
        for table, _ in tables:
            total = session.scalar(select(func.count()).select_from(table)) or 0
            theirs = session.scalar(
                select(func.count())
                .select_from(table)
                .where(export.belongs(table, customers, ids, links))
            )
            counts[table.name] = total - (theirs or 0)
    return counts


def checksums(database: Database, erased: list[int]) -> dict[str, str]:
    found = {}
    with database.engine.connect() as connection:
        for name in CHECKSUMMED:
            column = "id" if name == "customers" else "customer_id"
            found[name] = connection.execute(
                text(
                    f"SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM {name} t "
                    f"WHERE NOT (t.{column} = ANY(:erased))"
                ),
                {"erased": erased},
            ).scalar_one()
    return found


def export_seconds(database: Database, customer_id: int) -> float:
    started = time.perf_counter()
    with database.transaction() as session:
        export.export_customer(session, customer_id, io.BytesIO())
    return time.perf_counter() - started


async def erase_all(database: Database, erased: list[int]) -> float:
    worker = ErasureWorker(
        database,
        ErasureSteps(database),
        policy=RetryPolicy(max_attempts=1),
        poll_interval_seconds=0,
    )
    started = time.perf_counter()
    for customer_id in erased:
        with database.transaction() as session:
            erasures.start(
                session, customer_id, key=KEY, staff_id=None, via="cli", endpoint="bench"
            )
        while await worker.work_due():
            pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a PostgreSQL server to use (a new database is made)")
    parser.add_argument("--erase", type=int, default=1000, help="customers to erase")
    parser.add_argument("--scale", type=float, default=1.0, help="smaller data, for a trial")
    args = parser.parse_args()
    if args.scale != 1.0:
        for name in ("ACCOUNTS", "CUSTOMERS", "INTERACTIONS", "ORDERS", "TICKETS", "LEADS"):
            setattr(data_set, name, max(20, int(getattr(data_set, name) * args.scale)))
    rng = random.Random(7)
    with data_set.postgres(args.url) as server:
        url = data_set.fresh_database(server)
        upgrade(url)
        database = Database(url)
        started = time.perf_counter()
        data_set.generate(database, rng)
        print(
            f"generated {data_set.CUSTOMERS:,} customers, {data_set.INTERACTIONS:,} "
            f"interactions, {data_set.ORDERS:,} orders, {data_set.TICKETS:,} tickets, "
            f"{data_set.LEADS:,} leads in {time.perf_counter() - started:.0f} s"
        )
        population = list(range(1, data_set.CUSTOMERS + 1))
        chosen = rng.sample(population, args.erase + 20)
        erased, exported = sorted(chosen[: args.erase]), chosen[args.erase :]
        before, sums_before = others(database, erased), checksums(database, erased)
        export_seconds(database, exported[0])  # warm
        reference = statistics.median(export_seconds(database, c) for c in exported)
        took = asyncio.run(erase_all(database, erased))
        after, sums_after = others(database, erased), checksums(database, erased)
        with database.transaction() as session:
            states = dict(
                session.execute(text("SELECT status, count(*) FROM erasures GROUP BY status")).all()
            )
        per = took / len(erased)
        print(f"erased {len(erased):,} customers in {took:.1f} s: {per:.3f} s per customer")
        print(
            f"reference: export of one customer (median of {len(exported)}): "
            f"{reference:.3f} s; erasure = {per / reference:.1f}x the export"
        )
        print(f"erasures by status: {states}")
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        print(
            f"others' rows per walked table unchanged: {not changed} "
            f"({len(before)} tables, {sum(after.values()):,} rows){changed or ''}"
        )
        same = {name: sums_before[name] == sums_after[name] for name in CHECKSUMMED}
        print(f"others' rows identical (md5): {same}")
        database.dispose()


if __name__ == "__main__":
    main()
