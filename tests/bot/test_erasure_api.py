"""Erasure from the outside: `POST /api/v1/customers/{id}/erase` (admins) starts the
checklist, the app's erasure worker works it, and `GET /api/v1/erasures/{id}` shows the
report; `switchboard privacy erase` does the same from a shell. Both audited."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.cli.main import main
from bot.settings import Settings
from crm_store import Database, audit, customers, upgrade
from crm_store.staff import create_staff
from knowledge.embeddings import SentenceEncoder
from tests.support.app import eventually, services
from tests.support.customers import ada_who_texted_stop

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration


@pytest.fixture
def client(settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, encoder=encoder)) as client:
        yield client


def test_an_admin_erases_a_customer_and_reads_the_report(client: TestClient) -> None:
    database = services(client).database
    ada = ada_who_texted_stop(database)
    with database.transaction() as session:
        admin, admin_token = create_staff(session, name="Root", email="r@acme.test", role="admin")
        _, agent_token = create_staff(session, name="Sam", email="s@acme.test", role="agent")
    as_admin = {"Authorization": f"Bearer {admin_token}"}
    as_agent = {"Authorization": f"Bearer {agent_token}"}
    assert client.post(f"/api/v1/customers/{ada}/erase", headers=as_agent).status_code == 403
    assert client.post(f"/api/v1/customers/{ada + 99}/erase", headers=as_admin).status_code == 404
    started = client.post(f"/api/v1/customers/{ada}/erase", headers=as_admin)
    assert started.status_code == 202, started.text
    erasure = started.json()
    assert erasure["customer_id"] == ada and erasure["requested"]["staff_id"] == admin.id
    assert [step["name"] for step in erasure["steps"]] == ["store"]

    def finished() -> dict | None:
        shown = client.get(f"/api/v1/erasures/{erasure['id']}", headers=as_admin).json()
        return shown if shown["status"] != "running" else None

    shown = eventually(finished)
    report = shown["report"]
    assert shown["status"] == "done" and report["status"] == "done"
    assert report["erased"]["store"]["consent_ledger"] == 3
    # event_log: her `customer.created`, kept for the counts without her details
    assert report["pseudonymised"] == {"event_log": 1, "identities": 1, "customers": 1}
    assert report["tombstones"] == 2  # the phone, and the SMS address (one number)
    assert "+14155550101" not in json.dumps(shown) and "Ada" not in json.dumps(shown)
    with database.transaction() as session:
        profile = customers.get_customer(session, ada)
        (entry,) = audit.audit_entries(session, customer_id=ada)
    assert profile is not None and (profile.name, profile.phone) == (None, None)
    assert (entry.staff_id, entry.action, entry.endpoint) == (
        admin.id,
        "erase",
        "POST /api/v1/customers/{customer_id}/erase",
    )
    assert client.get("/api/v1/erasures/999", headers=as_admin).status_code == 404
    retention = client.get("/api/v1/retention", headers=as_admin).json()
    assert retention["policy"]["conversations_months"] is None  # off unless set
    assert retention["due_now"] == {"conversations": 0, "closed_tickets": 0, "attachments": 0}
    assert client.get(f"/api/v1/erasures/{erasure['id']}", headers=as_agent).status_code == 403


def test_the_cli_erases_and_prints_the_report(env: dict[str, str]) -> None:
    url = env["SWITCHBOARD_DATABASE__URL"]
    upgrade(url)
    database = Database(url)
    try:
        ada = ada_who_texted_stop(database)
        # By the phone number the request came with, as well as by id.
        done = CliRunner().invoke(main, ["privacy", "erase", "+1 415 555 0101"])
        assert done.exit_code == 0, done.output
        shown = json.loads(done.output)
        assert shown["customer_id"] == ada
        gone = CliRunner().invoke(main, ["privacy", "erase", "+1 415 555 0101"])
        assert (gone.exit_code, gone.output) == (1, "Error: no customer has +1 415 555 0101\n")
        assert shown["status"] == "done" and shown["report"]["pseudonymised"]["customers"] == 1
        again = CliRunner().invoke(main, ["privacy", "erasure", str(shown["id"])])
        assert again.exit_code == 0 and json.loads(again.output)["report"] == shown["report"]
        missing = CliRunner().invoke(main, ["privacy", "erase", "999"])
        assert missing.exit_code != 0 and "no customer 999" in missing.output
        with database.transaction() as session:
            (entry,) = audit.audit_entries(session, customer_id=ada)
        assert (entry.actor_kind, entry.via, entry.action) == ("system", "cli", "erase")
    finally:
        database.dispose()


def test_a_retention_dry_run_with_nothing_set_says_a_run_would_remove_nothing(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(env["SWITCHBOARD_DATABASE__URL"])
    unset = (
        "no retention is set (SWITCHBOARD_PRIVACY__CONVERSATIONS_MONTHS, "
        "__CLOSED_TICKETS_MONTHS or __ATTACHMENTS_MONTHS)"
    )
    dry = CliRunner().invoke(main, ["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output == f"{unset}: a run would remove nothing\n"
    real = CliRunner().invoke(main, ["privacy", "retention"])
    assert (real.exit_code, real.output) == (1, f"Error: {unset}\n")

    monkeypatch.setenv("SWITCHBOARD_PRIVACY__CONVERSATIONS_MONTHS", "24")
    counted = CliRunner().invoke(main, ["privacy", "retention", "--dry-run"])
    assert counted.exit_code == 0, counted.output
    shown = json.loads(counted.output)
    assert shown["dry_run"] is True and not any(shown["removed"].values())
