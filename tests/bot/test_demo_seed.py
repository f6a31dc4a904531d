"""`switchboard demo seed`: the volumes, the fixed demo customers' stories, idempotence,
determinism, and the command's output (no tokens unless asked)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from crm_store import Database, upgrade
from crm_store.consents import GRANTED, MARKETING, WITHDRAWN, current_consents
from crm_store.models import (
    Account,
    ConsentEntry,
    Customer,
    Identity,
    Interaction,
    Lead,
    Order,
    StaffUser,
    Ticket,
    TicketEvent,
)
from crm_store.staff import staff_by_token
from crm_store.summaries import account_summary
from crm_store.tickets import open_tickets_of
from demo.seed import DEMO_CUSTOMERS, seed_demo

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model))


def _customer(session, email: str) -> Customer:  # type: ignore[no-untyped-def]
    return session.scalars(select(Customer).where(Customer.email == email)).one()


def test_seed_fills_the_store_once(database: Database) -> None:
    with database.transaction() as session:
        outcome = seed_demo(session, now=NOW)
    assert outcome.seeded
    with database.transaction() as session:
        counts = {m.__name__: _count(session, m) for m in (Account, Customer, Order, Ticket, Lead)}
        assert counts["Account"] >= 50
        assert counts["Customer"] >= 300
        assert counts["Order"] >= 2000
        assert counts["Ticket"] >= 200
        assert counts["Lead"] >= 10
        assert outcome.counts["orders"] == counts["Order"]
        assert outcome.counts["customers"] == counts["Customer"]
        channels = Counter(session.scalars(select(Identity.channel)))
        assert min(channels[c] for c in ("web", "sms", "email")) >= 100
        assert _count(session, Interaction) > 0
        roles = Counter(session.scalars(select(StaffUser.role)))
        assert roles["agent"] >= 2 and roles["sales"] >= 2
        assert all(lead.owner_staff_id is not None for lead in session.scalars(select(Lead))), (
            "every lead has an owner"
        )

        again = seed_demo(session, now=NOW)
        assert not again.seeded
        assert "there already" in again.reason
        assert again.tokens == ()
    with database.transaction() as session:
        assert _count(session, Order) == counts["Order"]
        assert _count(session, Customer) == counts["Customer"]


def test_the_fixed_demo_customers_tell_their_stories(database: Database) -> None:
    with database.transaction() as session:
        seed_demo(session, now=NOW)
    assert [c.email for c in DEMO_CUSTOMERS] == [
        "ada@example.com",
        "grace@example.com",
        "alan@example.com",
    ]
    with database.transaction() as session:
        ada = _customer(session, "ada@example.com")
        assert (ada.name, ada.phone) == ("Ada Lovelace", "+14155550101")
        assert session.get_one(Account, ada.account_id).name == "Acme Corp"
        orders = {
            o.number: o for o in session.scalars(select(Order).where(Order.customer_id == ada.id))
        }
        assert {n: o.status for n, o in orders.items()} == {
            "4417": "shipped",
            "4418": "delivered",
            "4420": "placed",
        }
        assert orders["4417"].carrier == "UPS"
        assert orders["4417"].tracking_url.startswith("https://www.ups.com/track?tracknum=1Z")
        assert orders["4420"].tracking_url is None
        assert len(session.scalars(select(Order).where(Order.number == "4417")).all()) == 1
        assert open_tickets_of(session, ada.id) == []

        grace = _customer(session, "grace@example.com")
        assert session.get_one(Account, grace.account_id).name == "Globex"
        assert [
            (o.number, o.status)
            for o in session.scalars(select(Order).where(Order.customer_id == grace.id))
        ] == [("5120", "delayed")]
        # The number her story (the demo page, the seed's output) tells visitors to ask about.
        assert [(t.number, t.subject) for t in open_tickets_of(session, grace.id)] == [
            ("T-1001", "Invoice shows the wrong VAT number")
        ]

        alan = _customer(session, "alan@example.com")
        assert (alan.account_id, alan.lifecycle_stage) == (None, "lead")
        assert session.scalars(select(Order).where(Order.customer_id == alan.id)).all() == []

        summary = account_summary(session, customer_id=ada.id, now=NOW)
        assert summary.order_count == 3
        assert summary.last_purchase is not None and summary.last_purchase.number == "4420"


def test_seeded_data_looks_real_and_stays_fictional(database: Database) -> None:
    with database.transaction() as session:
        seed_demo(session, now=NOW)
    with database.transaction() as session:
        numbers = list(session.scalars(select(Order.number)))
        assert all(re.fullmatch(r"\d{4,6}", n) for n in numbers)
        emails = list(session.scalars(select(Customer.email)))
        emails += list(session.scalars(select(StaffUser.email)))
        assert all(
            re.search(r"@([a-z0-9-]+\.)*(example\.com|[a-z0-9-]+\.test)$", e) for e in emails
        )
        phones = [p for p in session.scalars(select(Customer.phone)) if p]
        assert all(re.fullmatch(r"\+1\d{3}55501\d\d", p) for p in phones)
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        assert [t.number for t in tickets] == [f"T-{1001 + i}" for i in range(len(tickets))]
        with_events = set(session.scalars(select(TicketEvent.ticket_id)))
        assert with_events == {t.id for t in tickets}
        statuses = Counter(o.status for o in session.scalars(select(Order)))
        assert {"placed", "shipped", "delivered", "delayed", "cancelled"} <= set(statuses)
        shipped = session.scalars(select(Order).where(Order.status == "shipped")).all()
        assert all(o.carrier and o.tracking_url.startswith("https://") for o in shipped)
        assert all(o.placed_at <= NOW for o in session.scalars(select(Order)))
        oldest = session.scalar(select(func.min(Order.placed_at)))
        assert (NOW - oldest).days <= 731


def _orders_of_a_fresh_seed(path: Path) -> list[tuple[str, str, str, int, str]]:
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    try:
        with database.transaction() as session:
            seed_demo(session, now=NOW)
        with database.transaction() as session:
            rows = session.execute(
                select(
                    Order.number, Customer.email, Order.status, Order.total_cents, Order.currency
                )
                .join(Customer, Customer.id == Order.customer_id)
                .order_by(Order.id)
            ).all()
            return [tuple(row) for row in rows]
    finally:
        database.dispose()


def test_the_same_seed_builds_the_same_store(tmp_path: Path) -> None:
    first = _orders_of_a_fresh_seed(tmp_path / "one.db")
    second = _orders_of_a_fresh_seed(tmp_path / "two.db")
    assert len(first) >= 2000
    assert first == second


def test_if_empty_leaves_a_store_with_data_of_its_own(database: Database) -> None:
    with database.transaction() as session:
        session.add(Customer(name="Someone", email="someone@example.com", attributes={}))
    with database.transaction() as session:
        outcome = seed_demo(session, now=NOW, if_empty=True)
    assert not outcome.seeded
    assert "data of its own" in outcome.reason
    with database.transaction() as session:
        assert _count(session, Customer) == 1
        assert _count(session, Order) == 0


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}"
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SWITCHBOARD_LOG__FORMAT", "text")
    return url


def test_the_command_seeds_once_and_shows_tokens_only_when_asked(env: str) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "seed", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert first.stdout == ""
    assert "60 accounts" in first.stderr and "2004 orders" in first.stderr
    assert "Ada Lovelace <ada@example.com>: orders 4417" in first.stderr
    # The dashboard's figures are computed right after seeding.
    assert "analytics refit: " in first.stderr and "lifetime value fitted" in first.stderr
    assert "sbs_" not in first.output

    second = runner.invoke(main, ["demo", "seed", "--print-tokens"])
    assert second.exit_code == 0
    assert second.stdout == ""
    assert "nothing done, the demo data is there already" in second.stderr

    database = Database(env)
    try:
        with database.transaction() as session:
            assert _count(session, Order) == 2004
    finally:
        database.dispose()


def test_print_tokens_prints_working_staff_tokens(env: str) -> None:
    shown = CliRunner().invoke(main, ["demo", "seed", "--print-tokens"])
    assert shown.exit_code == 0, shown.output
    lines = [line.split(" ") for line in shown.stdout.strip().splitlines()]
    assert [role for _, role, _ in lines] == ["agent", "agent", "agent", "sales", "sales", "admin"]
    database = Database(env)
    try:
        with database.transaction() as session:
            for email, role, token in lines:
                found = staff_by_token(session, token)
                assert found is not None and (found.email, found.role) == (email, role)
    finally:
        database.dispose()


def test_a_share_of_customers_agreed_to_marketing_so_a_campaign_reaches_someone(
    database: Database,
) -> None:
    with database.transaction() as session:
        seed_demo(session, now=NOW)
    with database.transaction() as session:
        fixed = {c.email for c in DEMO_CUSTOMERS}
        people = session.scalars(select(Customer).where(Customer.email.notin_(fixed))).all()
        emails = [p.email for p in people if p.email]
        in_force = current_consents(session, "email", emails, purpose=MARKETING)
        granted = [a for a, c in in_force.items() if c.decision == GRANTED]
        withdrawn = [a for a, c in in_force.items() if c.decision == WITHDRAWN]
        assert 0.4 * len(emails) < len(granted) < 0.6 * len(emails)
        assert withdrawn, "some customers unsubscribed later, as real lists have"
        phones = [p.phone for p in people if p.phone]
        sms = current_consents(session, "sms", phones, purpose=MARKETING)
        assert 0.2 * len(phones) < len(sms) < 0.5 * len(phones)
        entries = session.scalars(select(ConsentEntry)).all()
        assert all(e.recorded_at <= NOW for e in entries)
        fixed_ids = set(session.scalars(select(Customer.id).where(Customer.email.in_(fixed))))
        assert not any(e.customer_id in fixed_ids for e in entries)
