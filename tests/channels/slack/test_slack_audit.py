"""What agents and sales do to customers' data from Slack is in the audit log, as the
staff API's routes are: a summary shown (a read of each customer it shows), a claim, a
reply and a resolve from the card and its thread (changes), by that staff user, via
Slack; ids only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from crm_store import audit
from crm_store.models import Customer
from tests.support.app import add_staff, eventually, services
from tests.support.customers import ADA
from tests.support.slack_cards import card_of, card_text, handoff_id_on, wait_thread_ts
from tests.support.slack_requests import Slack
from tests.support.slack_standin import SlackStandIn
from tests.support.webchat import Visitor

MARTA, SAM = "UMARTA0001", "USAM000001"


def _ada(client: TestClient) -> int:
    with services(client).database.transaction() as session:
        return session.scalars(select(Customer.id).where(Customer.email == ADA)).one()


def _entries(client: TestClient, customer_id: int) -> list[audit.AuditRecord]:
    with services(client).database.transaction() as session:
        return audit.audit_entries(session, customer_id=customer_id)


def test_a_summary_shown_in_slack_is_audited_as_a_read(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    marta = add_staff(slack_client, "Marta Ruiz", "marta@example.com", "sales", MARTA)
    slack.command(MARTA, "summary Acme Corp")
    eventually(lambda: standin.responses)
    (entry,) = eventually(lambda: _entries(slack_client, _ada(slack_client)))
    assert (entry.staff_id, entry.action, entry.via) == (marta, "read", "slack")
    assert entry.endpoint == "slack summary (account)" and entry.subject.startswith("account ")


def test_claim_reply_and_resolve_from_slack_are_audited_as_changes(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    Visitor(slack_client, signed_in_as=ADA).say("talk to a person")
    card = card_of(standin)
    handoff_id = handoff_id_on(card)
    thread = wait_thread_ts(slack_client)
    slack.press(SAM, "handoff_claim", handoff_id, thread)
    eventually(lambda: "Claimed by Sam Carter" in card_text(standin.posted()[0]))
    slack.thread_reply(SAM, thread, "Hi Ada, on it.")
    ada = _ada(slack_client)
    eventually(lambda: len(_entries(slack_client, ada)) == 2)  # the reply is in before
    slack.press(SAM, "handoff_resolve", handoff_id, thread)
    eventually(lambda: "Resolved by Sam Carter" in card_text(standin.posted()[0]))
    entries = eventually(lambda: e if len(e := _entries(slack_client, ada)) == 3 else None)
    assert [(e.endpoint, e.action, e.via, e.staff_id) for e in reversed(entries)] == [
        ("slack handoff_claim", "change", "slack", sam),
        ("slack handoff_reply", "change", "slack", sam),
        ("slack handoff_resolve", "change", "slack", sam),
    ]
    assert {e.subject for e in entries} == {f"handoff {handoff_id}"}
