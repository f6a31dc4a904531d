"""Erasing a customer's rows, on SQLite and PostgreSQL: every table the export walks has
a rule; the customer's rows are deleted or emptied of text; nobody else's row changes;
the tombstones hold hashes, and the checklist is started once and reported."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, String, Table, Text, select
from sqlalchemy.types import TypeDecorator

from crm_store import Database, NotFound, erasure, erasures, export, tombstones
from crm_store.base import Base
from crm_store.models import Customer, Identity
from tests.support.customer_rows import RowMaker, unique_keys

KEY = b"erasure-key-for-tests"


def test_every_walked_table_has_an_erasure_rule() -> None:
    walked = {table.name for table, _ in export.customer_tables()}
    missing = walked - set(erasure.RULES)
    assert not missing, f"decide what erasure does with {sorted(missing)} (crm_store/erasure.py)"


def _snapshot(database: Database) -> dict[str, list[dict[str, Any]]]:
    with database.transaction() as session:
        return {
            table.name: [dict(row) for row in session.execute(select(table)).mappings()]
            for table in Base.metadata.sorted_tables
        }


def _is_text(table: Table, name: str) -> bool:
    kind = table.c[name].type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, (String, Text, JSON))


def _seed(database: Database) -> tuple[int, int, RowMaker]:
    with database.transaction() as session:
        ada = Customer(
            name="Ada Lovelace", email="ada@example.com", phone="+15550001", attributes={"a": 1}
        )
        bob = Customer(name="Bob", email="bob@example.com", attributes={})
        session.add_all([ada, bob])
        session.flush()
        maker = RowMaker(session, link_every_parent=True)
        for table, links in export.customer_tables():
            once = any(key == set(links) for key in unique_keys(table))
            for customer in (ada, bob) if once else (ada, bob, ada):
                maker.row(table, customer.id)
        return ada.id, bob.id, maker


def test_the_customer_is_erased_and_nobody_else_is_touched(database: Database) -> None:
    ada_id, bob_id, maker = _seed(database)
    before = _snapshot(database)
    with database.transaction() as session:
        counts = erasure.erase_customer_rows(session, ada_id)
    after = _snapshot(database)
    ada_rows = maker.made[ada_id]
    for table, _ in export.customer_tables():
        (key,) = table.primary_key.columns
        rule = erasure.RULES[table.name]
        left = {row[key.name]: row for row in after[table.name]}
        for row in before[table.name]:
            if row[key.name] not in ada_rows[table.name]:
                assert left[row[key.name]] == row, (table.name, "someone else's row changed")
            elif isinstance(rule, erasure.Delete):
                assert row[key.name] not in left, (table.name, "not deleted")
            else:
                kept = left[row[key.name]]
                decided = set(rule.keep) | set(rule.values(table))  # kept, or set by the rule
                for name, value in kept.items():
                    if name in decided or not _is_text(table, name) or table.c[name].foreign_keys:
                        continue
                    assert value in (None, "", {}, []), (table.name, name, value)
                if table.name == "identities":
                    assert kept["address"] == f"erased:{kept['id']}"
        if isinstance(rule, erasure.Delete):
            assert counts["erased"].get(table.name, 0) == len(ada_rows[table.name])
        else:
            assert counts["pseudonymised"][table.name] == len(ada_rows[table.name])
    (profile,) = [row for row in after["customers"] if row["id"] == ada_id]
    assert (profile["name"], profile["email"], profile["phone"], profile["attributes"]) == (
        None,
        None,
        None,
        {},
    )
    assert [row for row in after["customers"] if row["id"] == bob_id] == [
        row for row in before["customers"] if row["id"] == bob_id
    ]


def test_starting_an_erasure_lays_tombstones_and_a_checklist_once(database: Database) -> None:
    with database.transaction() as session:
        ada = Customer(name="Ada", email="Ada@Example.com", phone="+15550001", attributes={})
        session.add(ada)
        session.flush()
        session.add(Identity(customer_id=ada.id, channel="sms", address="+15550001"))
        session.flush()
        started = erasures.start(
            session, ada.id, key=KEY, staff_id=None, via="cli", endpoint="test"
        )
        again = erasures.start(session, ada.id, key=KEY, staff_id=None, via="cli", endpoint="test")
        ada_id = ada.id
    assert again.id == started.id
    assert [step["name"] for step in started.steps] == ["store"]
    assert started.report == {"tombstones": 3}
    with database.transaction() as session:
        assert tombstones.erased(session, KEY, "email", "ada@example.com")
        assert tombstones.erased(session, KEY, "sms", "+15550001")
        assert not tombstones.erased(session, KEY, "email", "bob@example.com")
        assert not tombstones.erased(session, b"another key", "email", "ada@example.com")
        stored = session.execute(select(Base.metadata.tables["erased_identifiers"])).all()
        assert all("ada" not in str(row).lower() for row in stored)
    with database.transaction() as session, pytest.raises(NotFound):
        erasures.start(session, ada_id + 100, key=KEY, staff_id=None, via="cli", endpoint="x")
