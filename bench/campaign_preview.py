"""The dry run of a one-off SMS campaign over a large audience, on PostgreSQL:

- the preview as `switchboard campaigns preview ID` and the API run it
  (engagement/preview.py: the audience a chunk at a time, the rules' facts read for
  each chunk in one query per kind), over the whole audience, in seconds and per
  customer;
- the reference, measured in the same run on the same store: the rules applied one
  customer at a time with the facts read for that customer alone (what the preview did
  before), over the first `--sample` customers, per customer;
- the journey preview's timeline (three send steps with waits and a branch) over the
  same audience, per customer.

    PYTHONPATH=. .venv/bin/python -m bench.campaign_preview --url URL [--customers N]

(As a module, like bench/campaign_send.py.) Its own database on the server of `--url`.
"""

from __future__ import annotations

import argparse
import os
import time

from sqlalchemy import select, text

from crm_store import Database, upgrade
from crm_store.base import utcnow
from crm_store.campaigns import get_campaign
from crm_store.models import Customer
from engagement.preview import preview_campaign
from engagement.rules import EngagementRules, assess
from engagement.templates import Renderer
from tests.support.campaigns import campaign, journey, many_shoppers
from tests.support.postgres import fresh_database

RULES = EngagementRules()  # quiet hours 21:00-08:00, cap 2 a week: every check runs
JOURNEY_STEPS = [
    {"name": "hello", "send": "sms", "body": "Hi {{ first_name | default('there') }}"},
    {"name": "two-days", "wait": {"days": 2}},
    {
        "name": "regular",
        "branch": {"when": {"field": "order_count", "op": "gte", "value": 3}, "then": "stop"},
    },
    {"name": "reminder", "send": "sms", "body": "Still thinking about it?"},
    {"name": "week", "wait": {"days": 7}},
    {"name": "last", "send": "sms", "body": "Last call"},
]


def one_at_a_time(database: Database, campaign_id: int, sample: int) -> float:
    """Seconds for the rules over the first `sample` customers, each with its own reads."""
    with database.transaction() as session:
        found = get_campaign(session, campaign_id)
        assert found is not None
        renderer = Renderer(found.content)
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id).limit(sample)))
        started = time.perf_counter()
        for customer_id in ids:
            assess(
                session,
                found,
                renderer,
                send_id=None,
                step="sms",
                customer_id=customer_id,
                rules=RULES,
                now=utcnow(),
                channel="sms",
            )
        return time.perf_counter() - started


def timed_preview(database: Database, campaign_id: int) -> tuple[float, dict]:
    with database.transaction() as session:
        found = get_campaign(session, campaign_id)
        assert found is not None
        started = time.perf_counter()
        dry = preview_campaign(session, found, RULES, now=utcnow(), sample=50)
        return time.perf_counter() - started, dry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args()
    if not args.url:
        raise SystemExit("--url: a PostgreSQL server (the bench gets its own database on it)")
    with fresh_database(args.url) as url:
        upgrade(url)
        database = Database(url)
        try:
            many_shoppers(database, args.customers)
            with database.engine.connect() as connection:  # the planner's statistics, as
                connection.execute(text("ANALYZE"))  # autovacuum would take them later
                connection.commit()
            broadcast = campaign(database, name="Preview bench")
            flow = journey(
                database,
                name="Journey bench",
                trigger={"entered_segment": True},
                steps=JOURNEY_STEPS,
            )
            seconds, dry = timed_preview(database, broadcast.id)
            reference = one_at_a_time(database, broadcast.id, args.sample)
            flow_seconds, flow_dry = timed_preview(database, flow.id)
        finally:
            database.dispose()
    n = dry["evaluated"]
    per = seconds / n * 1e3
    old = reference / args.sample * 1e3
    print(f"campaign preview, {dry['audience']:,} customers (PostgreSQL):")
    print(
        f"  broadcast, batched: {seconds:.1f} s for {n:,} evaluated ({per:.2f} ms/customer); "
        f"reference: one customer at a time, first {args.sample:,}: {old:.2f} ms/customer "
        f"(x{old / per:.1f}; {old * n / 1e3:.0f} s for all at that rate)"
    )
    print(
        f"  journey timeline (3 sends, 2 waits, a branch): {flow_seconds:.1f} s for "
        f"{flow_dry['evaluated']:,} ({flow_seconds / flow_dry['evaluated'] * 1e3:.2f} "
        f"ms/customer)"
    )
    print(f"  broadcast steps: {dry['steps']}")


if __name__ == "__main__":
    main()
