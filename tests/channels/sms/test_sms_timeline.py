"""The whole brain by SMS: a signed text from the stand-in gets the knowledge base's
answer as plain text at the stand-in, and the SMS conversation joins the web chat of the
same person (the phone on file) in one timeline."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from bot.settings import Settings
from channels.web.identity import identity_hash
from crm_store import staff
from crm_store.models import Customer
from knowledge.embeddings import SentenceEncoder
from tests.support.sms_harness import COMPANY_NUMBER, SmsHarness, harness_for
from tests.support.twilio_standin import TwilioStandIn

REFUNDS = "https://help.acme-outfitters.example/returns-and-refunds/refunds"


@pytest.fixture
async def brain(
    sms_settings: Settings, stand_in: TwilioStandIn, encoder: SentenceEncoder
) -> AsyncIterator[SmsHarness]:
    """The app with the real support dialogue: NLU and the demo knowledge base."""
    async for harness in harness_for(sms_settings, stand_in, None, encoder=encoder):  # type: ignore[arg-type]
        yield harness


async def test_a_question_by_sms_is_answered_and_joins_the_web_chat_timeline(
    brain: SmsHarness,
) -> None:
    client = brain.client
    # Ada is signed in on the company's site: her widget identity is verified.
    secret = brain.services.settings.identity_secret()
    session = await client.post(
        "/api/v1/webchat/sessions",
        json={
            "name": "Ada Lovelace",
            "identifier": "ada@example.com",
            "identifier_hash": identity_hash(secret, "ada@example.com"),
        },
    )
    web = {"Authorization": f"Bearer {session.json()['token']}"}
    chat = await client.post(
        "/api/v1/webchat/messages", headers=web, json={"client_message_id": "c1", "text": "hi"}
    )
    assert chat.status_code == 200
    with brain.services.database.transaction() as db:  # an agent notes Ada's mobile
        db.execute(update(Customer).values(phone="+14155550101"))
        _, token = staff.create_staff(db, name="Sam", email="sam@acme.test", role="agent")

    response = await brain.text("how long do refunds take?", "SM-refunds")
    assert response.status_code == 200
    await brain.deliver()

    [post] = brain.stand_in.accepted
    assert post.form["To"] == "+14155550101" and post.form["From"] == COMPANY_NUMBER
    body = post.form["Body"]
    assert REFUNDS in body and "refund" in body.lower()
    assert "**" not in body and "](" not in body and "_Source" not in body
    assert len(body) <= 1600

    by_email = await client.get(
        "/api/v1/customers", params={"email": "ada@example.com"}, headers=_bearer(token)
    )
    by_phone = await client.get(
        "/api/v1/customers", params={"phone": "+14155550101"}, headers=_bearer(token)
    )
    [ada] = by_email.json()["customers"]
    assert by_phone.json()["customers"] == [ada]  # one person, not two
    assert {i["channel"] for i in ada["identities"]} == {"web", "sms"}
    customer_id = ada["id"]
    assert [(i.channel, i.direction) for i in brain.timeline(customer_id)] == [
        ("web", "in"),
        ("web", "out"),
        ("sms", "in"),
        ("sms", "out"),
    ]
    timeline = await client.get(
        f"/api/v1/customers/{customer_id}/interactions", headers=_bearer(token)
    )
    assert timeline.status_code == 200
    items = timeline.json()["interactions"]
    assert [(i["channel"], i["direction"]) for i in items] == [
        ("web", "in"),
        ("web", "out"),
        ("sms", "in"),
        ("sms", "out"),
    ]
    assert items[2]["text"] == "how long do refunds take?"
    assert items[3]["delivery_status"] == "sent"
    # The knowledge layer's footer has an em dash; sent as "-", the answer stays GSM-7.
    assert "—" in items[3]["text"] and "—" not in body
    assert items[3]["attributes"]["sms_encoding"] == "GSM-7"
    assert items[3]["attributes"]["sms_segments"] >= 1
    assert any(source["source"] == REFUNDS for source in items[3]["sources"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
