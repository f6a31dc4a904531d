"""The export from the outside: `POST /api/v1/customers/{id}/export` (admins) and
`switchboard privacy export`, each one audited as an export of that customer."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from zipfile import ZipFile

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.cli.main import main
from bot.settings import Settings
from crm_store import Database, audit, upgrade
from crm_store.models import Customer
from crm_store.staff import create_staff
from knowledge.embeddings import SentenceEncoder
from tests.support.app import services
from tests.support.customers import ada_who_texted_stop

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration


def _document(archive: bytes) -> dict:
    with ZipFile(io.BytesIO(archive)) as opened:
        return json.loads(opened.read("customer.json"))


@pytest.fixture
def client(settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, encoder=encoder)) as client:
        yield client


def test_an_admin_exports_a_customer_and_it_is_audited(client: TestClient) -> None:
    database = services(client).database
    ada = ada_who_texted_stop(database)
    with database.transaction() as session:
        admin, admin_token = create_staff(session, name="Root", email="r@acme.test", role="admin")
        _, agent_token = create_staff(session, name="Sam", email="s@acme.test", role="agent")
    as_admin = {"Authorization": f"Bearer {admin_token}"}
    refused = client.post(
        f"/api/v1/customers/{ada}/export", headers={"Authorization": f"Bearer {agent_token}"}
    )
    assert refused.status_code == 403
    assert client.post(f"/api/v1/customers/{ada + 99}/export", headers=as_admin).status_code == 404
    answer = client.post(f"/api/v1/customers/{ada}/export", headers=as_admin)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    assert f"customer-{ada}-export.zip" in answer.headers["content-disposition"]
    document = _document(answer.content)
    assert document["customer"]["phone"] == "+14155550101"
    assert [row["address"] for row in document["tables"]["identities"]] == ["+14155550101"]
    assert len(document["tables"]["consent_ledger"]) == 3
    with database.transaction() as session:
        (entry,) = audit.audit_entries(session, customer_id=ada)
    assert (entry.staff_id, entry.action, entry.endpoint) == (
        admin.id,
        "export",
        "POST /api/v1/customers/{customer_id}/export",
    )


@pytest.fixture
def store(env: dict[str, str]) -> Iterator[Database]:
    """The CLI's database (env), migrated."""
    url = env["SWITCHBOARD_DATABASE__URL"]
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def test_the_cli_writes_the_archive_to_a_file(store: Database, tmp_path: Path) -> None:
    ada = ada_who_texted_stop(store)
    out = tmp_path / "ada.zip"
    done = CliRunner().invoke(main, ["privacy", "export", str(ada), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert _document(out.read_bytes())["customer"]["id"] == ada
    missing = CliRunner().invoke(main, ["privacy", "export", "999", "--out", str(out)])
    assert missing.exit_code != 0 and "no customer 999" in missing.output
    # A file in a folder that is not there is refused before anything is exported
    # (it was a traceback after the export, which was audited all the same).
    nowhere = tmp_path / "no-such-folder" / "ada.zip"
    refused = CliRunner().invoke(main, ["privacy", "export", str(ada), "--out", str(nowhere)])
    assert refused.exit_code == 2, refused.output
    assert "no-such-folder is not a directory" in refused.output
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    with store.transaction() as session:
        (entry,) = audit.audit_entries(session, customer_id=ada)
    assert (entry.actor_kind, entry.via, entry.action) == ("system", "cli", "export")


def test_the_cli_finds_the_customer_by_email_or_phone(store: Database, tmp_path: Path) -> None:
    # A request for one's data comes with an address, and no command finds an id: the
    # id alone was taken ("'ada@example.com' is not a valid integer range").
    ada = ada_who_texted_stop(store)
    with store.transaction() as session:
        grace = Customer(name="Grace", email="grace@example.com")
        session.add(grace)
        session.flush()
        grace_id = grace.id
    out = tmp_path / "found.zip"

    def export(customer: str) -> tuple[int, str]:
        done = CliRunner().invoke(main, ["privacy", "export", customer, "--out", str(out)])
        return done.exit_code, done.output

    # As staff type a number, read in the default region (US), as the staff API does.
    assert export("(415) 555-0101") == (0, f"wrote {out}\n")
    assert _document(out.read_bytes())["customer"]["id"] == ada
    assert export("Grace@Example.com")[0] == 0
    assert _document(out.read_bytes())["customer"]["name"] == "Grace"
    assert export("nobody@example.com") == (1, "Error: no customer has nobody@example.com\n")
    code, said = export("hello")
    assert code == 2
    assert said.endswith(
        "Error: Invalid value for CUSTOMER: 'hello' is not a customer id, an email "
        "address or a phone number\n"
    )
    # An address two customers share is refused with both ids, not guessed between.
    with store.transaction() as session:
        twin = Customer(name="Ada again", phone="+14155550101")
        session.add(twin)
        session.flush()
        twin_id = twin.id
    assert export("+1 415 555 0101") == (
        1,
        f"Error: 2 customers have +1 415 555 0101 (ids {ada}, {twin_id}): give one id\n",
    )
    with store.transaction() as session:
        exported = {e.customer_id for e in audit.audit_entries(session) if e.action == "export"}
    assert exported == {ada, grace_id}, "only the exports that were made are audited"
