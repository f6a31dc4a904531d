"""Tickets follow their handoff (issue 15, item 6), with the real app, signed Slack
requests and the staff API: claiming assigns the handoff's ticket, resolving solves it
(unless the agent keeps it open), going back to the bot leaves it, and a note lands on
the customer's one open ticket instead of opening a second."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from crm_store import customers, staff, tickets
from crm_store.models import Handoff, Ticket, TicketEvent
from tests.support.app import add_staff, eventually, services
from tests.support.customers import ADA
from tests.support.slack_cards import card_of, card_text, handoff_id_on, wait_thread_ts
from tests.support.slack_requests import Slack
from tests.support.slack_standin import SlackStandIn
from tests.support.webchat import Visitor

SAM = "USAM000001"


def all_tickets(client: TestClient) -> list[Ticket]:
    with services(client).database.transaction() as session:
        rows = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        session.expunge_all()
        return rows


def events_of(client: TestClient, ticket_id: int) -> list[tuple[str, dict[str, Any], str]]:
    with services(client).database.transaction() as session:
        rows = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return [(e.kind, dict(e.data or {}), e.body) for e in rows]


def handoff_status(client: TestClient) -> str:
    with services(client).database.transaction() as session:
        return session.scalars(select(Handoff.status).order_by(Handoff.id.desc())).first() or ""


def claimed_by_sam(client: TestClient, slack: Slack, standin: SlackStandIn) -> tuple[int, str]:
    """Ada asks for a person in web chat; Sam claims the card. (handoff id, thread ts)"""
    Visitor(client, signed_in_as=ADA).say("I'd like to talk to a human please")
    card = card_of(standin)
    handoff_id, thread = handoff_id_on(card), wait_thread_ts(client)
    slack.press(SAM, "handoff_claim", handoff_id, thread)
    eventually(lambda: "Claimed by Sam Carter" in card_text(standin.posted()[0]))
    return handoff_id, thread


def test_claim_assigns_the_ticket_and_resolve_solves_it(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    handoff_id, thread = claimed_by_sam(slack_client, slack, standin)
    (ticket,) = all_tickets(slack_client)
    assert (ticket.assigned_staff_id, ticket.status) == (sam, "open")
    assert ("assigned", {"from": None, "to": sam}, "") in events_of(slack_client, ticket.id)

    slack.press(SAM, "handoff_resolve", handoff_id, thread)
    eventually(lambda: handoff_status(slack_client) == "resolved")
    (ticket,) = all_tickets(slack_client)
    assert ticket.status == "solved"
    kinds = [kind for kind, _, _ in events_of(slack_client, ticket.id)]
    assert kinds == ["created", "assigned", "status_changed"]


def test_the_keep_open_button_resolves_the_handoff_and_leaves_the_ticket_open(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    handoff_id, thread = claimed_by_sam(slack_client, slack, standin)
    buttons = next(b for b in standin.posted()[0]["blocks"] if b["type"] == "actions")
    labels = [e["text"]["text"] for e in buttons["elements"]]
    assert labels == ["Resolve", "Resolve, keep ticket open", "Back to bot"]

    slack.press(SAM, "handoff_resolve_keep_ticket", handoff_id, thread)
    eventually(lambda: "Resolved by Sam Carter" in card_text(standin.posted()[0]))
    assert handoff_status(slack_client) == "resolved"
    (ticket,) = all_tickets(slack_client)
    assert (ticket.status, ticket.assigned_staff_id) == ("open", sam)


def test_back_to_bot_leaves_the_ticket_as_it_is(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    handoff_id, thread = claimed_by_sam(slack_client, slack, standin)
    slack.press(SAM, "handoff_back_to_bot", handoff_id, thread)
    eventually(lambda: handoff_status(slack_client) == "returned_to_bot")
    (ticket,) = all_tickets(slack_client)
    assert (ticket.status, ticket.assigned_staff_id) == ("open", sam)


def test_the_staff_api_resolves_with_or_without_the_ticket(
    slack_client: TestClient, standin: SlackStandIn
) -> None:
    with services(slack_client).database.transaction() as session:
        kim, token = staff.create_staff(
            session, name="Kim Lee", email="kim@example.com", role="agent"
        )
    auth = {"Authorization": f"Bearer {token}"}
    ada = Visitor(slack_client, signed_in_as=ADA)

    def handed_over_and_claimed(before: int) -> int:
        ada.say("talk to a person")
        handoff_id = eventually(
            lambda: (latest_handoff(slack_client) or 0) > before and latest_handoff(slack_client)
        )
        claimed = slack_client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=auth)
        assert claimed.status_code == 200, claimed.text
        return int(handoff_id)

    first = handed_over_and_claimed(0)
    kept = slack_client.post(
        f"/api/v1/handoffs/{first}/resolve", json={"keep_ticket_open": True}, headers=auth
    )
    assert kept.status_code == 200, kept.text
    (ticket,) = all_tickets(slack_client)
    assert (ticket.status, ticket.assigned_staff_id) == ("open", kim.id)

    # Asked again: the same open ticket is the new handoff's; resolving solves it.
    second = handed_over_and_claimed(first)
    malformed = slack_client.post(
        f"/api/v1/handoffs/{second}/resolve", json={"keep_ticket_open": "perhaps"}, headers=auth
    )
    assert malformed.status_code in (400, 422), malformed.text
    resolved = slack_client.post(f"/api/v1/handoffs/{second}/resolve", headers=auth)
    assert resolved.status_code == 200, resolved.text
    (ticket,) = all_tickets(slack_client)
    assert ticket.status == "solved"


def latest_handoff(client: TestClient) -> int | None:
    with services(client).database.transaction() as session:
        return session.scalars(select(Handoff.id).order_by(Handoff.id.desc())).first()


def test_a_note_goes_on_the_customers_open_ticket_not_a_new_one(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    with services(slack_client).database.transaction() as session:
        (ada,) = customers.find_customers(session, email=ADA)
        earlier = tickets.open_ticket(session, customer_id=ada.id, subject="Damaged parcel")
    _, thread = claimed_by_sam(slack_client, slack, standin)
    # The handoff opened no second ticket, and its claim took the one there is.
    (ticket,) = all_tickets(slack_client)
    assert (ticket.id, ticket.assigned_staff_id) == (earlier.id, sam)

    slack.thread_reply(SAM, thread, "note: customer sent photos of the parcel")
    eventually(lambda: any(k == "note" for k, _, _ in events_of(slack_client, earlier.id)))
    (ticket,) = all_tickets(slack_client)
    assert ticket.id == earlier.id
    assert ("note", "customer sent photos of the parcel") in [
        (k, body) for k, _, body in events_of(slack_client, earlier.id)
    ]
