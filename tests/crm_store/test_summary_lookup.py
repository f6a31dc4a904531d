"""`lookup_summary`: the one answer to "summary for <query>" that the API, the Slack
command and the chat action word their own way, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from crm_store import Database
from crm_store.models import Account, Customer
from crm_store.staff import SUMMARY_ROLES
from crm_store.summary_lookup import Candidates, NoMatch, Summary, lookup_summary

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class People:
    initech: int
    labs: int
    peter: int


@pytest.fixture
def people(database: Database) -> People:
    with database.transaction() as session:
        initech = Account(name="Initech", attributes={})
        labs = Account(name="Initech Labs", attributes={})
        session.add_all([initech, labs])
        session.flush()
        peter = Customer(
            account_id=initech.id,
            name="Peter Gibbons",
            email="peter@initech.test",
            phone="+12125550142",
            lifecycle_stage="customer",
            attributes={},
        )
        session.add(peter)
        session.flush()
        return People(initech.id, labs.id, peter.id)


def test_one_account_fits_its_summary(database: Database, people: People) -> None:
    with database.transaction() as session:
        found = lookup_summary(session, " initech ", now=NOW)
    assert isinstance(found, Summary)
    subject = found.summary.subject
    assert (subject.kind, subject.id, subject.label) == ("account", people.initech, "Initech")
    assert [c.name for c in found.summary.contacts] == ["Peter Gibbons"]
    assert found.summary.generated_at == NOW


def test_one_customer_fits_by_email_or_phone(database: Database, people: People) -> None:
    with database.transaction() as session:
        by_email = lookup_summary(session, "Peter@Initech.test")
        by_phone = lookup_summary(session, "(212) 555-0142")
    for found in (by_email, by_phone):
        assert isinstance(found, Summary)
        subject = found.summary.subject
        assert (subject.kind, subject.id) == ("customer", people.peter)
        # The label a caller shows is the one the candidate list would have shown.
        assert subject.label == "Peter Gibbons <peter@initech.test>, Initech"


def test_several_fit_the_candidates_accounts_first(database: Database, people: People) -> None:
    with database.transaction() as session:
        found = lookup_summary(session, "init")
    assert isinstance(found, Candidates)
    assert [(s.kind, s.id, s.label) for s in found.subjects] == [
        ("account", people.initech, "Initech"),
        ("account", people.labs, "Initech Labs"),
    ]


def test_nothing_fits(database: Database, people: People) -> None:
    with database.transaction() as session:
        assert lookup_summary(session, "umbrella") == NoMatch("umbrella")
        assert lookup_summary(session, "nobody@initech.test") == NoMatch("nobody@initech.test")
        assert lookup_summary(session, "   ") == NoMatch("   ")


def test_a_misspelt_name_finds_nothing_but_the_names_close_to_it(
    database: Database, people: People
) -> None:
    with database.transaction() as session:
        session.add(Customer(name="Petra Gibson", attributes={}, pending=True))
        typo = lookup_summary(session, "Intech Labs")
        person = lookup_summary(session, "peter gibons")
        first_letters = lookup_summary(session, "Inittech")
    assert isinstance(typo, NoMatch)
    # "Initech" shares the first word only: not alike enough to offer.
    assert [(s.kind, s.id) for s in typo.suggestions] == [("account", people.labs)]
    assert isinstance(person, NoMatch)
    # The customer's label is the candidate list's; a pending contact is never offered.
    assert [s.label for s in person.suggestions] == ["Peter Gibbons <peter@initech.test>, Initech"]
    assert isinstance(first_letters, NoMatch)
    assert [s.id for s in first_letters.suggestions] == [people.initech]


def test_nothing_close_is_no_suggestion_and_contacts_are_never_guessed(
    database: Database, people: People
) -> None:
    with database.transaction() as session:
        for query in ("Umbrella Corp", "Iz", "peter@initech.tset", "(212) 555-0143"):
            assert lookup_summary(session, query) == NoMatch(query), query


def test_summaries_are_for_sales_and_admins() -> None:
    # In this order: the API's refusal names them ("the sales or admin role").
    assert SUMMARY_ROLES == ("sales", "admin")
