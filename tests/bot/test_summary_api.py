"""The summary API: sales and admin only; one match answers the summary, several the
candidates (300), none 404; bad queries 422."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import DatabaseSettings, Settings
from crm_store.models import Account, Customer, Order
from crm_store.staff import create_staff
from tests.support.fakes import ScriptedDialogue

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration


@dataclass(frozen=True)
class Shop:
    client: TestClient
    headers: dict[str, dict[str, str]]
    acme: int
    acme_labs: int
    ada: int


@pytest.fixture
def shop(tmp_path: Path, database_url: str) -> Iterator[Shop]:
    settings = Settings(
        data_dir=tmp_path / "var", database=DatabaseSettings(url=database_url, auto_migrate=True)
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        database = client.app.state.services.database  # type: ignore[attr-defined]
        headers = {}
        with database.transaction() as session:
            for role in ("agent", "sales", "admin"):
                _, token = create_staff(
                    session, name=role.title(), email=f"{role}@acme.test", role=role
                )
                headers[role] = {"Authorization": f"Bearer {token}"}
            acme = Account(name="Acme Corp", attributes={})
            labs = Account(name="Acme Labs", attributes={})
            session.add_all([acme, labs])
            session.flush()
            ada = Customer(
                account_id=acme.id,
                name="Ada Lovelace",
                email="ada@example.com",
                phone="+14155550101",
                lifecycle_stage="customer",
                attributes={},
            )
            session.add(ada)
            session.flush()
            session.add(Order(number="4417", customer_id=ada.id, total_cents=12_50, items=[]))
        yield Shop(client, headers, acme.id, labs.id, ada.id)


def test_agents_and_strangers_cannot_read_summaries(shop: Shop) -> None:
    for path in (
        f"/api/v1/accounts/{shop.acme}/summary",
        f"/api/v1/customers/{shop.ada}/summary",
        "/api/v1/summary?q=ada@example.com",
    ):
        refused = shop.client.get(path, headers=shop.headers["agent"])
        assert refused.status_code == 403
        assert refused.json()["error"] == "this needs the sales or admin role"
        assert shop.client.get(path).status_code == 401


def test_sales_reads_an_account_summary(shop: Shop) -> None:
    answer = shop.client.get(f"/api/v1/accounts/{shop.acme}/summary", headers=shop.headers["sales"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["subject"] == {"kind": "account", "id": shop.acme, "label": "Acme Corp"}
    assert body["lifetime_value"] == [{"currency": "USD", "orders": 1, "total_cents": 1250}]
    assert body["last_purchase"]["number"] == "4417"
    assert [c["email"] for c in body["contacts"]] == ["ada@example.com"]


def test_one_match_answers_the_summary(shop: Shop) -> None:
    for q in ("ada@example.com", "(415) 555-0101", "ada lovelace", "Acme Corp"):
        answer = shop.client.get("/api/v1/summary", params={"q": q}, headers=shop.headers["admin"])
        assert answer.status_code == 200, q
        expected = ("account", shop.acme) if q == "Acme Corp" else ("customer", shop.ada)
        assert (answer.json()["subject"]["kind"], answer.json()["subject"]["id"]) == expected


def test_several_matches_answer_the_candidates(shop: Shop) -> None:
    answer = shop.client.get("/api/v1/summary", params={"q": "acme"}, headers=shop.headers["sales"])
    assert answer.status_code == 300
    body = answer.json()
    assert body["error"] == "2 accounts or customers match 'acme': pick one"
    assert body["candidates"] == [
        {
            "kind": "account",
            "id": shop.acme,
            "label": "Acme Corp",
            "summary_url": f"/api/v1/accounts/{shop.acme}/summary",
        },
        {
            "kind": "account",
            "id": shop.acme_labs,
            "label": "Acme Labs",
            "summary_url": f"/api/v1/accounts/{shop.acme_labs}/summary",
        },
    ]
    followed = shop.client.get(body["candidates"][1]["summary_url"], headers=shop.headers["sales"])
    assert followed.json()["subject"]["label"] == "Acme Labs"
    assert followed.json()["order_count"] == 0


def test_more_candidates_than_listed_are_not_counted_as_the_twenty_shown(shop: Shop) -> None:
    """The list stops at 20; the answer then says more match, not that 20 do."""
    database = shop.client.app.state.services.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        session.add_all(
            [Customer(name=f"Noah Varga {n}", attributes={}) for n in range(25)]
            + [Customer(name=f"Olga Petrov {n}", attributes={}) for n in range(20)]
        )
    many = shop.client.get("/api/v1/summary", params={"q": "noah"}, headers=shop.headers["sales"])
    assert many.status_code == 300
    assert many.json()["error"] == (
        "more than 20 accounts or customers match 'noah': pick one of these, "
        "or ask with more of the name"
    )
    assert len(many.json()["candidates"]) == 20
    # Exactly 20 is a count, said as one.
    twenty = shop.client.get("/api/v1/summary", params={"q": "olga"}, headers=shop.headers["sales"])
    assert twenty.json()["error"] == "20 accounts or customers match 'olga': pick one"
    assert len(twenty.json()["candidates"]) == 20


def test_nothing_found_is_404_and_bad_queries_422(shop: Shop) -> None:
    sales = shop.headers["sales"]
    missing = shop.client.get("/api/v1/summary", params={"q": "Umbrella"}, headers=sales)
    assert missing.status_code == 404
    assert missing.json()["error"] == "no account or customer matches 'Umbrella'"
    misspelt = shop.client.get("/api/v1/summary", params={"q": "Acme Crop"}, headers=sales)
    assert misspelt.status_code == 404
    assert misspelt.json()["error"] == (
        "no account or customer matches 'Acme Crop'; close names: 'Acme Corp'"
    )
    for path in ("/api/v1/accounts/987654/summary", "/api/v1/customers/987654/summary"):
        assert shop.client.get(path, headers=sales).status_code == 404
    for q in ("", "   ", "x" * 321, "ada\x00"):
        refused = shop.client.get("/api/v1/summary", params={"q": q}, headers=sales)
        assert refused.status_code == 422, q
        assert refused.json()["error"].startswith("query.q:")
    assert shop.client.get("/api/v1/summary", headers=sales).status_code == 422
    assert shop.client.get("/api/v1/accounts/0/summary", headers=sales).status_code == 422
