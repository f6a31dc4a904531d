"""The customer export on SQLite and PostgreSQL: the archive validates against its own
JSON Schema and holds every row of every table that hangs off the customer (found by
walking the foreign keys, so a table added later is covered), and nobody else's."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from zipfile import ZIP_DEFLATED, ZipFile

import pytest
from jsonschema import Draft202012Validator

from crm_store import Database, NotFound, export
from crm_store.base import Base
from crm_store.models import Customer
from tests.support.customer_rows import RowMaker, unique_keys

# Tables that hold no customer's data, each for a reason: a new table must either hang
# off a customer (and is exported) or be named here.
NOT_CUSTOMER_DATA = {
    "customers": "the profile itself: exported as `customer`",
    "accounts": "the company; its id is on the profile",
    "staff_users": "the company's people; their ids are on the rows",
    "audit_log": "staff activity about customers, kept apart (ids only)",
    "slack_events": "Slack's delivery receipts, no customer",
    "mailbox_watermarks": "IMAP polling positions",
    "webhook_subscriptions": "the company's receivers; the deliveries name them by id",
    "erasures": "erasure jobs: ids and counts, outliving the customer",
    "erasure_steps": "an erasure's checklist: ids of copies outside the store, then counts",
    "erased_identifiers": "keyed hashes of erased identifiers, no address",
    "model_fits": "lifetime-value fits of the whole customer base; the customer's own "
    "figures are in customer_metrics",
    "segments": "the company's saved filters; no customer's data",
    "campaigns": "the company's messages; what a customer was sent is in campaign_sends",
    "reply_keys": "staff's idempotency keys, a day: a handoff id and a digest, no text; the "
    "reply itself is the customer's interaction",
}


def test_every_table_either_hangs_off_a_customer_or_says_why_not() -> None:
    walked = {table.name for table, _ in export.customer_tables()}
    assert walked >= {"identities", "interactions", "ticket_events", "outbox", "slack_calls"}
    for table in Base.metadata.sorted_tables:
        assert (table.name in walked) != (table.name in NOT_CUSTOMER_DATA), table.name


def test_the_archive_validates_and_holds_every_row_of_the_customer(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "PAGE_ROWS", 2)  # several pages per table
    with database.transaction() as session:
        ada, bob = Customer(name="Ada", attributes={}), Customer(name="Bob", attributes={})
        session.add_all([ada, bob])
        session.flush()
        maker = RowMaker(session, link_every_parent=True)
        for table, links in export.customer_tables():
            # A table of one row per customer (customer_metrics) gets one each.
            once = any(key == set(links) for key in unique_keys(table))
            for customer in (ada, bob) if once else (ada, bob, ada, ada):
                maker.row(table, customer.id)
        ada_id = ada.id
    out = io.BytesIO()
    with database.transaction() as session:
        counts = export.export_customer(session, ada_id, out)
    with ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [export.DOCUMENT, export.SCHEMA]
        entry = archive.getinfo(export.DOCUMENT)
        assert entry.compress_type == ZIP_DEFLATED
        written = datetime(*entry.date_time, tzinfo=UTC)  # not zipfile's 1980-01-01
        document = json.loads(archive.read(export.DOCUMENT))
        schema = json.loads(archive.read(export.SCHEMA))
    Draft202012Validator.check_schema(schema)
    errors = list(
        Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        ).iter_errors(document)
    )
    assert errors == []
    assert document["schema_version"] == export.SCHEMA_VERSION
    exported_at = datetime.fromisoformat(document["exported_at"])
    assert abs(exported_at - written) < timedelta(seconds=2)  # the zip's 2 s resolution
    assert document["customer"]["id"] == ada_id and document["customer"]["name"] == "Ada"
    made = maker.made[ada_id]
    for table, _ in export.customer_tables():
        (key,) = table.primary_key.columns  # "id", or a parent's id (lead_scores)
        exported = [row[key.name] for row in document["tables"][table.name]]
        assert sorted(exported) == sorted(made[table.name]), table.name
        assert counts[table.name] == len(made[table.name]) >= 1


def test_an_unknown_customer_is_not_found(database: Database) -> None:
    with database.transaction() as session, pytest.raises(NotFound):
        export.export_customer(session, 12345, io.BytesIO())
