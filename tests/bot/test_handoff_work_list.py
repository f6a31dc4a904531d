"""Agents without Slack find their work: the handoff list (state, owner, age, customer,
paging), status and owner in one handoff's record, and the card's signed page link that
works without a bearer token (and refuses a tampered, foreign or expired one)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot.app import create_app
from bot.handoffs.links import HandoffLinks
from bot.settings import Settings
from channels.messages import Channel, ContactProfile, InboundMessage
from crm_store import staff
from crm_store.base import utcnow
from crm_store.models import Handoff, Interaction
from knowledge.embeddings import SentenceEncoder
from tests.support.app import services
from tests.support.customers import ADA, GRACE, seed
from tests.support.fakes import RecordingAgentDesk
from tests.support.webchat import Visitor


@pytest.fixture
def desk() -> RecordingAgentDesk:
    return RecordingAgentDesk()


@pytest.fixture
def client(
    settings: Settings, encoder: SentenceEncoder, desk: RecordingAgentDesk
) -> Iterator[TestClient]:
    with TestClient(create_app(settings, encoder=encoder, desk=desk)) as client:
        seed(services(client).database)
        yield client


def _agent(client: TestClient, name: str, email: str) -> tuple[int, dict[str, str]]:
    with services(client).database.transaction() as session:
        record, token = staff.create_staff(session, name=name, email=email, role="agent")
    return record.id, {"Authorization": f"Bearer {token}"}


def _handoffs(client: TestClient, headers: dict[str, str], query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/handoffs{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["handoffs"]


def test_agents_list_handoffs_by_state_and_owner_newest_first(
    client: TestClient, desk: RecordingAgentDesk
) -> None:
    Visitor(client, signed_in_as=ADA).say("talk to a person")
    Visitor(client, signed_in_as=GRACE).say("talk to a person")
    ada_handoff, grace_handoff = (p.handoff_id for p in desk.packets)
    sam_id, sam = _agent(client, "Sam Carter", "sam@example.com")
    kim_id, kim = _agent(client, "Kim Lee", "kim@example.com")
    # Ada has been waiting ten minutes.
    with services(client).database.transaction() as session:
        session.execute(
            update(Handoff)
            .where(Handoff.id == ada_handoff)
            .values(created_at=utcnow() - timedelta(minutes=10))
        )

    everything = _handoffs(client, sam)
    assert [h["id"] for h in everything] == [grace_handoff, ada_handoff]
    ada_row = everything[1]
    assert ada_row["state"] == "queued" and ada_row["owner"] is None
    assert ada_row["customer"]["name"] == "Ada Lovelace" and ada_row["customer"]["id"] > 0
    assert ada_row["channel"] == "web" and ada_row["reason"] == "customer_asked"
    assert 600 <= ada_row["age_seconds"] < 24 * 3600
    assert ada_row["opened_at"]

    assert client.post(f"/api/v1/handoffs/{ada_handoff}/claim", headers=sam).status_code == 200
    assert [h["id"] for h in _handoffs(client, kim, "?state=queued")] == [grace_handoff]
    # The dashboard's word for queued: waiting for a person.
    assert [h["id"] for h in _handoffs(client, kim, "?state=waiting")] == [grace_handoff]
    (mine,) = _handoffs(client, sam, "?state=claimed&owner=me")
    assert mine["id"] == ada_handoff
    assert mine["owner"] == {"id": sam_id, "name": "Sam Carter"}
    assert _handoffs(client, kim, "?owner=me") == []
    assert [h["id"] for h in _handoffs(client, kim, f"?owner={sam_id}")] == [ada_handoff]
    assert _handoffs(client, sam, f"?owner={kim_id}") == []

    # Paging: one at a time, newest first.
    assert [h["id"] for h in _handoffs(client, sam, "?limit=1")] == [grace_handoff]
    assert [h["id"] for h in _handoffs(client, sam, "?limit=1&offset=1")] == [ada_handoff]
    assert _handoffs(client, sam, "?limit=1&offset=2") == []

    assert client.post(f"/api/v1/handoffs/{ada_handoff}/resolve", headers=sam).status_code == 200
    assert [h["id"] for h in _handoffs(client, sam, "?state=resolved")] == [ada_handoff]
    assert [h["id"] for h in _handoffs(client, sam, "?state=closed")] == [ada_handoff]

    # Hostile or malformed filters are 4xx with a reason; no token, no list.
    # An id past the store's largest (nineteen nines) was a 500 from the database.
    past_any_id = "?owner=9999999999999999999"
    for query in (
        "?state=lost",
        "?owner=someone",
        "?owner=-1",
        "?limit=0",
        "?limit=100000",
        past_any_id,
    ):
        refused = client.get(f"/api/v1/handoffs{query}", headers=sam)
        assert refused.status_code == 422, query
        assert refused.json()["detail"], query
    refused = client.get(f"/api/v1/handoffs{past_any_id}", headers=sam).json()
    assert refused["error"] == "query.owner: a staff id is at most 2147483647"
    assert client.get("/api/v1/handoffs").status_code == 401


def test_one_handoffs_record_says_its_status_and_owner(
    client: TestClient, desk: RecordingAgentDesk
) -> None:
    Visitor(client, signed_in_as=ADA).say("talk to a person")
    handoff_id = desk.packets[0].handoff_id
    sam_id, sam = _agent(client, "Sam Carter", "sam@example.com")
    base = f"/api/v1/handoffs/{handoff_id}"

    queued = client.get(base, headers=sam).json()
    assert (queued["status"], queued["owner"]) == ("queued", None)
    assert queued["age_seconds"] >= 0 and queued["claimed_at"] is None

    client.post(f"{base}/claim", headers=sam)
    claimed = client.get(base, headers=sam).json()
    assert claimed["status"] == "claimed"
    assert claimed["owner"] == {"id": sam_id, "name": "Sam Carter"}
    assert claimed["claimed_at"] and claimed["customer_email"] == ADA

    client.post(f"{base}/return-to-bot", headers=sam)
    closed = client.get(base, headers=sam).json()
    assert closed["status"] == "returned_to_bot" and closed["closed_at"]


def test_an_api_reply_is_shown_on_the_desk_and_a_desk_reply_is_not_echoed(
    client: TestClient, desk: RecordingAgentDesk
) -> None:
    Visitor(client, signed_in_as=ADA).say("talk to a person")
    handoff_id = desk.packets[0].handoff_id
    sam_id, sam = _agent(client, "Sam Carter", "sam@example.com")
    base = f"/api/v1/handoffs/{handoff_id}"
    client.post(f"{base}/claim", headers=sam)

    assert client.post(f"{base}/replies", headers=sam, json={"text": "On it."}).status_code == 201
    client.post(f"{base}/replies", headers=sam, json={"text": "internal", "note": True})
    # The desk's own path (a Slack thread reply) is already on the desk: not echoed.
    console = services(client).handoffs
    client.portal.call(console.reply, handoff_id, sam_id, "from the thread")  # type: ignore[union-attr]
    assert desk.replies == [(handoff_id, "Sam Carter", "On it.")]


def test_a_reply_the_server_cannot_deliver_is_refused_with_why_and_a_note_still_goes(
    client: TestClient, desk: RecordingAgentDesk
) -> None:
    """A customer of `switchboard chat` (a terminal only that terminal shows) handed over:
    the server has no sender for them, so an agent's reply is refused with the reason
    before anything is written (it was accepted as sent, then failed in the history);
    a note on the ticket still is taken."""
    engine = services(client).engine
    client.portal.call(  # type: ignore[union-attr]
        engine.receive,
        InboundMessage(
            channel=Channel.TERMINAL,
            address="terminal:trial",
            provider_message_id="trial:1",
            text="talk to a person",
            profile=ContactProfile(name="Trial User"),
        ),
    )
    handoff_id = desk.packets[0].handoff_id
    _, sam = _agent(client, "Sam Carter", "sam@example.com")
    base = f"/api/v1/handoffs/{handoff_id}"
    assert client.post(f"{base}/claim", headers=sam).status_code == 200
    conversation_id = desk.packets[0].conversation_id
    written_before = _agent_messages(client, conversation_id)

    refused = client.post(f"{base}/replies", headers=sam, json={"text": "Hello from Sam"})
    assert refused.status_code == 409
    assert "switchboard chat" in refused.json()["detail"]
    assert "Add a note instead" in refused.json()["detail"]
    assert _agent_messages(client, conversation_id) == written_before == 0
    noted = client.post(f"{base}/replies", headers=sam, json={"text": "tried", "note": True})
    assert noted.status_code == 201 and noted.json()["sent"] is False


def _agent_messages(client: TestClient, conversation_id: int) -> int:
    with services(client).database.transaction() as session:
        return len(
            session.scalars(
                select(Interaction.id).where(
                    Interaction.conversation_id == conversation_id, Interaction.author == "agent"
                )
            ).all()
        )


def _page_link(desk: RecordingAgentDesk) -> tuple[str, str]:
    url = urlsplit(desk.packets[0].record_url)
    return url.path, parse_qs(url.query)["t"][0]


def test_the_cards_signed_link_opens_the_handoff_page_without_a_token(
    client: TestClient, desk: RecordingAgentDesk
) -> None:
    ada = Visitor(client, signed_in_as=ADA)
    ada.say("<script>alert(1)</script> & talk to a person")
    path, token = _page_link(desk)
    handoff_id = desk.packets[0].handoff_id
    assert path == f"/staff/handoffs/{handoff_id}"

    page = client.get(path, params={"t": token})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    body = page.text
    assert f"Handoff #{handoff_id}" in body and "Ada Lovelace" in body and "queued" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; talk to a person" in body
    assert "<script" not in body and "http" not in body.split("</title>")[1]


def test_a_tampered_foreign_or_expired_link_is_refused(
    client: TestClient, desk: RecordingAgentDesk
) -> None:
    Visitor(client, signed_in_as=ADA).say("talk to a person")
    Visitor(client, signed_in_as=GRACE).say("talk to a person")
    path, token = _page_link(desk)
    other = desk.packets[1].handoff_id

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(path, params={"t": tampered}).status_code == 403
    assert client.get(path, params={"t": "not-a-token"}).status_code == 403
    # A link for one handoff does not open another.
    assert client.get(f"/staff/handoffs/{other}", params={"t": token}).status_code == 403
    # No token at all (the link cut short): a page that says so, in HTML, not JSON.
    cut = client.get(path)
    assert cut.status_code == 400 and cut.headers["content-type"].startswith("text/html")
    assert "This handoff link is incomplete." in cut.text
    assert f"find handoff #{desk.packets[0].handoff_id} in the queue" in cut.text

    settings = services(client).settings
    yesterday = HandoffLinks(
        settings.webchat_secret(),
        max_age_seconds=settings.staff.handoff_link_ttl_seconds,
        clock=lambda: time.time() - settings.staff.handoff_link_ttl_seconds - 60,
    )
    old = urlsplit(yesterday.url(desk.packets[0].handoff_id))
    expired = client.get(old.path, params=parse_qs(old.query))
    assert expired.status_code == 410 and "expired" in expired.text
