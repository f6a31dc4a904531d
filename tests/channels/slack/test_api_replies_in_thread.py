"""A reply an agent sends through the staff API appears in the handoff's Slack thread
(on the local Slack Web API stand-in), so the people in Slack see what was said."""

from __future__ import annotations

from fastapi.testclient import TestClient

from crm_store import staff
from tests.support.app import eventually, services
from tests.support.customers import ADA
from tests.support.slack_cards import card_of, wait_thread_ts
from tests.support.slack_standin import SlackStandIn
from tests.support.webchat import Visitor


def test_a_reply_through_the_staff_api_is_mirrored_into_the_slack_thread(
    slack_client: TestClient, standin: SlackStandIn
) -> None:
    with services(slack_client).database.transaction() as session:
        _, token = staff.create_staff(
            session, name="Sam Carter", email="sam@example.com", role="agent"
        )
    ada = Visitor(slack_client, signed_in_as=ADA)
    ada.say("talk to a person")
    card = card_of(standin)
    handoff_id = int(
        next(b for b in card["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    )
    thread = wait_thread_ts(slack_client)
    sam = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/handoffs/{handoff_id}"
    assert slack_client.post(f"{base}/claim", headers=sam).status_code == 200

    sent = slack_client.post(f"{base}/replies", headers=sam, json={"text": "Refund <sent> & done"})
    assert sent.status_code == 201
    eventually(lambda: ("agent", "Refund <sent> & done") in ada.transcript())
    mirrored = eventually(
        lambda: [m for m in standin.posted(thread_ts=thread) if "(via API)" in m["text"]]
    )
    assert [m["text"] for m in mirrored] == [
        "*Sam Carter (via API):* Refund &lt;sent&gt; &amp; done"
    ]
    assert mirrored[0]["channel"] == card["channel"]
