"""Account summaries and finding their subject, on SQLite and PostgreSQL.

Two accounts: Initech (Peter, a customer, and Samir, a lead) and Hooli (Gavin), whose
orders, tickets, messages and leads must never appear in Initech's figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from channels.slack.summary_blocks import candidate_blocks, summary_blocks
from crm_store import Database, NotFound
from crm_store.models import (
    Account,
    Conversation,
    Customer,
    Identity,
    Interaction,
    Lead,
    LeadScore,
    Order,
    StaffUser,
    Ticket,
)
from crm_store.summaries import account_summary, find_subjects, render_summary_text
from crm_store.summary_lookup import Candidates, Summary, lookup_summary

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@dataclass(frozen=True)
class World:
    initech: int
    hooli: int
    peter: int
    samir: int
    gavin: int
    alan: int


def _order(session, customer: Customer, number: str, cents: int, days: float, **kw) -> None:  # type: ignore[no-untyped-def]
    session.add(
        Order(
            number=number,
            customer_id=customer.id,
            total_cents=cents,
            placed_at=ago(days),
            items=[],
            status=kw.get("status", "delivered"),
            currency=kw.get("currency", "USD"),
        )
    )


def _ticket(session, customer: Customer, number: str, status: str, created: float, updated: float):  # type: ignore[no-untyped-def]
    session.add(
        Ticket(
            number=number,
            customer_id=customer.id,
            subject=f"subject {number}",
            status=status,
            created_at=ago(created),
            updated_at=ago(updated),
        )
    )


def _messages(session, customer: Customer, channel: str, spec: list[tuple[str, float]]) -> None:  # type: ignore[no-untyped-def]
    identity = Identity(
        customer_id=customer.id, channel=channel, address=f"{customer.id}-{channel}"
    )
    session.add(identity)
    session.flush()
    conversation = Conversation(
        customer_id=customer.id, identity_id=identity.id, channel=channel, status="resolved"
    )
    session.add(conversation)
    session.flush()
    for seq, (direction, days) in enumerate(spec, start=1):
        session.add(
            Interaction(
                conversation_id=conversation.id,
                customer_id=customer.id,
                seq=seq,
                direction=direction,
                author="customer" if direction == "in" else "bot",
                channel=channel,
                text="hello",
                created_at=ago(days),
            )
        )
    conversation.last_seq = len(spec)


@pytest.fixture
def world(database: Database) -> World:
    with database.transaction() as session:
        initech = Account(name="Initech", domain="initech.test", plan="team", attributes={})
        labs = Account(name="Initech Labs", attributes={})
        hooli = Account(name="Hooli", attributes={})
        session.add_all([initech, labs, hooli])
        session.flush()
        owner = StaffUser(
            name="Marco Rossi", email="marco@x.test", role="sales", api_token_hash="h"
        )
        session.add(owner)
        peter = Customer(
            account_id=initech.id,
            name="Peter Gibbons",
            email="peter@initech.test",
            phone="+12125550142",
            lifecycle_stage="customer",
            attributes={},
        )
        samir = Customer(
            account_id=initech.id, name="Samir Nagheenanajar", lifecycle_stage="lead", attributes={}
        )
        gavin = Customer(account_id=hooli.id, name="Gavin Belson", attributes={})
        alan = Customer(
            name="Alan Turing", email="alan@example.com", lifecycle_stage="lead", attributes={}
        )
        session.add_all([peter, samir, gavin, alan])
        session.flush()

        _order(session, peter, "1001", 1000_00, 100)
        _order(session, peter, "1002", 2500_00, 10, status="shipped")
        _order(session, peter, "1003", 700_00, 50, currency="EUR")
        _order(session, peter, "1004", 99_999_00, 5, status="cancelled")
        _order(session, peter, "1005", 50_00, 3, status="returned")
        _order(session, samir, "1006", 300_00, 200)
        _order(session, gavin, "1007", 5000_00, 1)

        _ticket(session, peter, "T-1", "open", 2, 2)
        _ticket(session, peter, "T-2", "pending", 40, 40)
        _ticket(session, peter, "T-3", "solved", 20, 5)
        _ticket(session, peter, "T-4", "closed", 60, 45)
        _ticket(session, samir, "T-5", "open", 10, 10)
        _ticket(session, gavin, "T-6", "open", 1, 1)

        _messages(session, peter, "web", [("in", 5), ("out", 5), ("in", 4)])
        _messages(session, peter, "sms", [("in", 100)])
        _messages(session, gavin, "web", [("in", 1), ("out", 1)])

        session.add_all(
            [
                Lead(
                    customer_id=samir.id, interest="Printers", status="new", owner_staff_id=owner.id
                ),
                Lead(customer_id=peter.id, interest="Old deal", status="won"),
                Lead(customer_id=gavin.id, interest="Not ours", status="qualified"),
                Lead(customer_id=alan.id, interest="Research", status="contacted"),
            ]
        )
        session.flush()
        return World(initech.id, hooli.id, peter.id, samir.id, gavin.id, alan.id)


def test_account_summary_adds_up_its_contacts_only(database: Database, world: World) -> None:
    with database.transaction() as session:
        summary = account_summary(session, account_id=world.initech, now=NOW)

    assert summary.subject.kind == "account" and summary.subject.label == "Initech"
    assert summary.account is not None and summary.account.plan == "team"
    assert [c.name for c in summary.contacts] == ["Peter Gibbons", "Samir Nagheenanajar"]
    assert summary.contacts_total == 2
    assert summary.lifecycle_stage == "customer"
    # Cancelled and returned orders count for nothing; EUR is kept apart from USD.
    assert [(t.currency, t.orders, t.total_cents) for t in summary.lifetime_value] == [
        ("EUR", 1, 700_00),
        ("USD", 3, 3800_00),
    ]
    assert summary.order_count == 4
    assert summary.last_purchase is not None
    assert (summary.last_purchase.number, summary.last_purchase.status) == ("1002", "shipped")
    assert [t.number for t in summary.open_tickets] == ["T-1", "T-5", "T-2"]
    assert summary.open_tickets_total == 3
    assert [t.number for t in summary.recently_closed_tickets] == ["T-3"]
    assert summary.recently_closed_total == 1
    assert summary.tickets_last_30_days == 3
    assert [(a.channel, a.inbound, a.outbound) for a in summary.interactions_last_90_days] == [
        ("web", 2, 1)
    ]
    assert [(lead.interest, lead.owner_name) for lead in summary.open_leads] == [
        ("Printers", "Marco Rossi")
    ]
    assert summary.at_risk is True
    assert summary.risk_reasons == ("3 tickets opened in the last 30 days",)


def test_customer_summary_is_that_customer_alone(database: Database, world: World) -> None:
    with database.transaction() as session:
        peter = account_summary(session, customer_id=world.peter, now=NOW)
        samir = account_summary(session, customer_id=world.samir, now=NOW)

    assert peter.subject.label == "Peter Gibbons <peter@initech.test>, Initech"
    assert peter.account is not None and peter.account.name == "Initech"
    assert peter.contacts_total == 1
    assert peter.order_count == 3
    assert peter.tickets_last_30_days == 2
    assert peter.open_leads == ()
    assert (peter.at_risk, peter.risk_reasons) == (False, ())

    assert samir.lifecycle_stage == "lead"
    assert samir.order_count == 1
    assert samir.risk_reasons == ("no purchase in 180 days (last on 2026-05-06)",)
    assert [t.number for t in samir.open_tickets] == ["T-5"]


def test_a_lead_that_never_bought_is_not_at_risk(database: Database, world: World) -> None:
    with database.transaction() as session:
        alan = account_summary(session, customer_id=world.alan, now=NOW)
    assert alan.account is None
    assert (alan.order_count, alan.last_purchase, alan.lifetime_value) == (0, None, ())
    assert alan.at_risk is False
    assert [lead.status for lead in alan.open_leads] == ["contacted"]
    assert alan.open_leads[0].owner_name is None


def test_a_customer_whose_stage_is_at_risk_is_flagged_at_risk_with_why(
    database: Database, world: World
) -> None:
    """The stage job moves a buyer to at_risk past the store's learned threshold (here
    60 days, well within the summary's own 180): the summary shown beside that stage
    says at risk too, and why, rather than "Stage: at_risk" and no warning."""
    with database.transaction() as session:
        quiet = Customer(name="Quiet Buyer", lifecycle_stage="at_risk", attributes={})
        session.add(quiet)
        session.flush()
        _order(session, quiet, "2001", 120_00, 60)
        quiet_id = quiet.id
    with database.transaction() as session:
        summary = account_summary(session, customer_id=quiet_id, now=NOW)
        peter = account_summary(session, customer_id=world.peter, now=NOW)
    assert summary.lifecycle_stage == "at_risk"
    assert summary.at_risk is True
    assert summary.risk_reasons == (
        f"stage at_risk: no purchase for longer than the at-risk threshold "
        f"(last on {ago(60):%Y-%m-%d})",
    )
    blocks = json.dumps(summary_blocks(summary))
    assert ":warning: At risk" in blocks and "at-risk threshold" in blocks
    assert (peter.lifecycle_stage, peter.at_risk) == ("customer", False)


def test_summary_json_and_text(database: Database, world: World) -> None:
    with database.transaction() as session:
        summary = account_summary(session, account_id=world.initech, now=NOW)
    shown = json.loads(json.dumps(summary.to_json()))
    assert shown["subject"] == {"kind": "account", "id": world.initech, "label": "Initech"}
    assert shown["lifetime_value"][1] == {"currency": "USD", "orders": 3, "total_cents": 380000}
    assert shown["last_purchase"]["placed_at"] == ago(10).isoformat()
    assert shown["risk_reasons"] == ["3 tickets opened in the last 30 days"]

    text = render_summary_text(summary)
    assert text.splitlines()[0] == "Summary: Initech"
    assert "AT RISK: 3 tickets opened in the last 30 days" in text
    # Spent so far, labelled so: the dashboard's "Lifetime value" is a prediction.
    assert "Lifetime spend: EUR 700.00, USD 3,800.00 (4 orders)" in text
    assert "  - T-1 [open, normal] subject T-1" in text
    assert "Messages in the last 90 days: web 2 in / 1 out" in text
    assert "  - Printers (new), Marco Rossi" in text


def test_unknown_subjects_and_bad_arguments(database: Database, world: World) -> None:
    with database.transaction() as session:
        with pytest.raises(NotFound):
            account_summary(session, account_id=world.hooli + 1000)
        with pytest.raises(NotFound):
            account_summary(session, customer_id=world.alan + 1000)
        with pytest.raises(ValueError):
            account_summary(session, account_id=world.hooli, customer_id=world.gavin)


def test_a_summary_takes_a_few_queries(database: Database, world: World) -> None:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.transaction() as session:
            account_summary(session, account_id=world.initech, now=NOW)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 8


def test_find_subjects_by_name_exact_before_prefix_before_contains(
    database: Database, world: World
) -> None:
    with database.transaction() as session:
        exact = find_subjects(session, "  INITECH ")
        prefix = find_subjects(session, "init")
        contains = find_subjects(session, "belso")
        nothing = find_subjects(session, "umbrella")
        wildcard = find_subjects(session, "%")
    assert [(s.kind, s.label) for s in exact] == [("account", "Initech")]
    assert [s.label for s in prefix] == ["Initech", "Initech Labs"]
    assert [(s.kind, s.id, s.label) for s in contains] == [
        ("customer", world.gavin, "Gavin Belson, Hooli")
    ]
    assert nothing == []
    assert wildcard == []


def test_find_subjects_by_email_and_phone(database: Database, world: World) -> None:
    with database.transaction() as session:
        by_email = find_subjects(session, " Peter@Initech.TEST ")
        by_phones = [
            find_subjects(session, text)
            for text in ("(212) 555-0142", "212.555.0142", "+1 212 555 0142", "2125550142")
        ]
        other_phone = find_subjects(session, "+1 212 555 0199")
        blank = find_subjects(session, "   ")
    assert [(s.kind, s.id) for s in by_email] == [("customer", world.peter)]
    assert all(
        [(s.kind, s.id) for s in found] == [("customer", world.peter)] for found in by_phones
    )
    assert other_phone == []
    assert blank == []


def test_a_large_account_lists_50_contacts_and_counts_all(database: Database) -> None:
    with database.transaction() as session:
        big = Account(name="Massive Dynamic", attributes={})
        session.add(big)
        session.flush()
        stages = ["lead"] * 50 + ["customer", "churned"]
        session.add_all(
            Customer(account_id=big.id, name=f"Person {i}", lifecycle_stage=stage, attributes={})
            for i, stage in enumerate(stages)
        )
        session.flush()
        summary = account_summary(session, account_id=big.id, now=NOW)
    assert len(summary.contacts) == 50
    assert summary.contacts_total == 52
    assert summary.lifecycle_stage == "customer"  # reached by the 51st contact
    assert "  ... and 47 more" in render_summary_text(summary)


def test_name_search_indexes_exist(database: Database) -> None:
    with database.engine.connect() as connection:
        if database.dialect == "postgresql":
            rows = connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%name_%%'"
            ).all()
        else:
            rows = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE '%name_%'"
            ).all()
    found = {name: definition.lower() for name, definition in rows}
    for table in ("accounts", "customers"):
        assert "lower" in found[f"ix_{table}_name_lower"]
        if database.dialect == "postgresql":
            assert "gin_trgm_ops" in found[f"ix_{table}_name_trgm"]
        else:
            assert f"ix_{table}_name_trgm" not in found


def test_open_leads_show_their_score_best_first_with_top_factors(
    database: Database, world: World
) -> None:
    with database.transaction() as session:
        samir_lead = session.scalars(select(Lead).where(Lead.customer_id == world.samir)).one()
        later = Lead(customer_id=world.peter, interest="Scanners", status="contacted")
        session.add(later)
        session.flush()
        session.add(
            LeadScore(
                lead_id=samir_lead.id,
                probability=0.62,
                factors=[
                    {"field": "source_channel", "value": "web", "odds_ratio": 1.8316},
                    {"field": "prior_orders", "value": "0", "odds_ratio": 0.72},
                ],
                scored_at=NOW,
            )
        )
    with database.transaction() as session:
        summary = account_summary(session, account_id=world.initech, now=NOW)
    # Scored first, best chance first; the lead opened since the scoring comes after.
    assert [lead.interest for lead in summary.open_leads] == ["Printers", "Scanners"]
    printers, scanners = summary.open_leads
    assert printers.win_probability == 0.62 and scanners.win_probability is None
    text = render_summary_text(summary)
    assert (
        "  - Printers (new), Marco Rossi: 62.0% to win "
        "(source_channel web x1.832, prior_orders 0 x0.72)" in text
    )
    assert "  - Scanners (contacted), no owner\n" in text + "\n"
    shown = json.loads(json.dumps(summary.to_json()))
    assert shown["open_leads"][0]["win_probability"] == 0.62
    assert shown["open_leads"][0]["top_factors"][0]["field"] == "source_channel"
    blocks = json.dumps(summary_blocks(summary))
    assert "*62.0% to win (source_channel web x1.832, prior_orders 0 x0.72)*" in blocks


def test_a_cut_list_of_candidates_says_more_match_in_slack_too(database: Database) -> None:
    with database.transaction() as session:
        session.add_all([Customer(name=f"Rosa Varga {n}", attributes={}) for n in range(21)])
    with database.transaction() as session:
        found = lookup_summary(session, "rosa")
        exact = lookup_summary(session, "rosa varga 1")
    assert isinstance(found, Candidates)
    assert (len(found.subjects), found.more, found.count_text()) == (20, True, "more than 20")
    # An exact name is one match, though "Rosa Varga 1" starts ten others.
    assert isinstance(exact, Summary)
    blocks = json.dumps(candidate_blocks("rosa", found), ensure_ascii=False)
    assert "*more than 20 accounts or customers match “rosa”. The first 20:*" in blocks
