"""Staff search customers by phone as they type it: formatted, national, or with a `+`
sent unencoded (it arrives as a space). What cannot be a phone number is a 422."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from crm_store import staff
from crm_store.models import Customer
from knowledge.embeddings import SentenceEncoder
from tests.support.app import services


@pytest.fixture
def client(sqlite_settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings, encoder=encoder)) as client:
        with services(client).database.transaction() as session:
            session.add(Customer(name="Pat Doe", phone="+14155550101"))
            _, token = staff.create_staff(
                session, name="Sam Carter", email="sam@example.com", role="agent"
            )
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _names(client: TestClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return [c["name"] for c in response.json()["customers"]]


@pytest.mark.parametrize(
    "typed", ["+1 (415) 555-0101", "415-555-0101", "(415) 555 0101", "+14155550101"]
)
def test_a_number_typed_any_usual_way_finds_the_customer(client: TestClient, typed: str) -> None:
    assert _names(client, f"/api/v1/customers?{_query(typed)}") == ["Pat Doe"]


def test_an_unencoded_plus_is_read_as_a_plus(client: TestClient) -> None:
    # What a shell or a hand-written URL sends: the "+" is not %2B, so it decodes as " ".
    assert _names(client, "/api/v1/customers?phone=+14155550101") == ["Pat Doe"]
    assert _names(client, "/api/v1/customers?phone=%2014155550101") == ["Pat Doe"]


def test_another_number_finds_nobody_and_nonsense_is_refused(client: TestClient) -> None:
    assert _names(client, "/api/v1/customers?phone=415-555-0199") == []
    for typed in ("banana", "12", "+999 1"):
        refused = client.get(f"/api/v1/customers?{_query(typed)}")
        assert refused.status_code == 422, typed
        assert "phone number" in refused.text, typed
    # The reason names what was typed and how to write it, without phonenumbers' "(1)".
    assert client.get(f"/api/v1/customers?{_query('banana')}").json()["error"] == (
        "not a phone number: 'banana' (The string supplied did not seem to be a phone "
        "number); give digits, with the country code for a number abroad, e.g. +44 20 7946 0000"
    )


def _query(typed: str) -> str:
    return urlencode({"phone": typed})
