"""An id the store cannot hold is a 422 naming the field, on SQLite and PostgreSQL.

The store's ids are INTEGER columns, 32 bits on PostgreSQL: the API allowed ids up to
2**63 - 1, and between 2**31 and that PostgreSQL answered "integer out of range", a
500 (the schema test runs on SQLite, whose integers have 64 bits)."""

from __future__ import annotations

import pytest

from crm_store.base import MAX_ID
from tests.bot.conftest import Readers

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

PAST = MAX_ID + 1  # 2**31


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/v1/customers/{PAST}", None),
        ("GET", f"/api/v1/customers/{PAST}/interactions", None),
        ("GET", f"/api/v1/customers/{PAST}/summary", None),
        ("GET", f"/api/v1/accounts/{PAST}/summary", None),
        ("POST", f"/api/v1/customers/{PAST}/export", None),
        ("POST", f"/api/v1/customers/{PAST}/erase", None),
        ("GET", f"/api/v1/erasures/{PAST}", None),
        ("GET", f"/api/v1/handoffs?owner={PAST}", None),
        ("GET", f"/api/v1/leads?owner={PAST}", None),
        ("GET", f"/api/v1/tickets?customer_id={PAST}", None),
        ("POST", "/api/v1/tickets", {"customer_id": PAST, "subject": "x"}),
        ("GET", f"/api/v1/campaigns/{PAST}", None),
        ("GET", f"/api/v1/audit?customer_id={PAST}", None),
        ("POST", f"/api/v1/deliveries/outbox-{PAST}/retry", None),
        ("PUT", "/api/v1/orders/A-1", {"email": "a@example.com", "total_cents": PAST}),
    ],
)
def test_an_id_past_the_store_is_a_422_naming_the_field(
    readers: Readers, method: str, path: str, body: dict | None
) -> None:
    answer = readers.client.request(method, path, json=body, headers=readers.admin)
    assert answer.status_code == 422, answer.text
    assert str(MAX_ID) in answer.json()["error"]


def test_the_widget_pages_on_no_further_than_the_store_counts(readers: Readers) -> None:
    token = readers.client.post("/api/v1/webchat/sessions", json={}).json()["token"]
    answer = readers.client.get(
        f"/api/v1/webchat/messages?after={PAST}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422, answer.text


def test_the_largest_id_the_store_holds_is_postgresqls_integer() -> None:
    assert MAX_ID == 2**31 - 1
