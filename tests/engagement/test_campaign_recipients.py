"""After a send, the marketer reads who it went to through the staff API: each customer
and step with the state, the reason it was suppressed, the delivery status Twilio
reported, a page at a time with the counts; each customer listed is an audited read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.channel_store.delivery_reports import DeliveryReports
from bot.settings import CampaignSettings, Settings
from channels.messages import Channel
from crm_store import staff
from tests.support.app import eventually, services
from tests.support.campaigns import Shopper, shoppers
from tests.support.fakes import RecordingSender, ScriptedDialogue


@pytest.fixture
def sms() -> RecordingSender:
    return RecordingSender(Channel.SMS)


@pytest.fixture
def client(settings: Settings, sms: RecordingSender) -> Iterator[TestClient]:
    settings = settings.model_copy(
        update={
            "campaigns": CampaignSettings(
                poll_interval_seconds=0.05,
                quiet_hours_start="00:00",
                quiet_hours_end="00:00",
                sms_per_second=1000,
            )
        }
    )
    app = create_app(settings, dialogue=ScriptedDialogue(), senders={Channel.SMS: sms})
    with TestClient(app) as client:
        yield client


def _token(client: TestClient, role: str) -> tuple[int, dict[str, str]]:
    with services(client).database.transaction() as session:
        member, token = staff.create_staff(
            session, name=role.title(), email=f"{role}@example.com", role=role
        )
    return member.id, {"Authorization": f"Bearer {token}"}


async def test_the_marketer_reads_who_a_sent_campaign_went_to(
    client: TestClient, sms: RecordingSender
) -> None:
    database = services(client).database
    ids = shoppers(
        database,
        [Shopper(name=f"Shopper {n}", phone=f"+1415555{n:04d}") for n in range(5)]
        + [Shopper(name="Never agreed", phone="+14155559990", consent=False)],
    )
    marketer_id, marketer = _token(client, "marketing")
    _, agent = _token(client, "agent")
    _, admin = _token(client, "admin")
    segment = {"name": "everyone", "filter": {"all": []}}
    assert client.post("/api/v1/segments", json=segment, headers=marketer).status_code == 201
    campaign = client.post(
        "/api/v1/campaigns",
        json={"name": "Hello", "segment": "everyone", "content": {"sms": {"body": "Hi"}}},
        headers=marketer,
    ).json()["id"]
    path = f"/api/v1/campaigns/{campaign}/recipients"
    before = client.get(path, headers=marketer).json()
    assert before["counts"]["total"] == 0 and before["recipients"] == []  # a draft: nobody yet

    assert (
        client.post(f"/api/v1/campaigns/{campaign}/schedule", json={}, headers=marketer).json()[
            "status"
        ]
        == "scheduled"
    )
    eventually(
        lambda: (
            client.get(f"/api/v1/campaigns/{campaign}", headers=marketer).json()["status"] == "done"
        )
    )
    assert await DeliveryReports(database).report(Channel.SMS, "prov-1", "delivered") is True

    first = client.get(path, params={"limit": 4}, headers=marketer).json()
    assert first["counts"] == {
        "total": 6,
        "matching": 6,
        "by_state": {"sent": 5, "suppressed": 1},
        "by_reason": {"no_consent": 1},
    }
    assert len(first["recipients"]) == 4 and first["next_after_id"] is not None
    rest = client.get(
        path, params={"limit": 4, "after_id": first["next_after_id"]}, headers=marketer
    ).json()
    assert len(rest["recipients"]) == 2 and rest["next_after_id"] is None
    rows = first["recipients"] + rest["recipients"]
    assert sorted(row["customer"]["id"] for row in rows) == sorted(ids)  # everyone, once
    sent = [row for row in rows if row["state"] == "sent"]
    assert {row["address"] for row in sent} == {m.address for m in sms.sent}
    assert sorted(row["delivery_status"] for row in sent) == ["delivered"] + ["sent"] * 4

    (refused,) = client.get(
        path, params={"state": "suppressed", "reason": "no_consent"}, headers=marketer
    ).json()["recipients"]
    assert refused["customer"] == {"id": ids[-1], "name": "Never agreed"}
    assert refused["reason_text"] == "never agreed to marketing on this channel"
    assert refused["sent_at"] is None

    assert client.get(path, headers=agent).status_code == 403
    assert client.get(path, params={"state": "lost"}, headers=marketer).status_code == 422
    assert client.get("/api/v1/campaigns/999/recipients", headers=marketer).status_code == 404
    audited = client.get("/api/v1/audit", params={"staff_id": marketer_id}, headers=admin).json()[
        "entries"
    ]
    listed = {
        e["customer_id"]
        for e in audited
        if e["endpoint"] == "GET /api/v1/campaigns/{campaign_id}/recipients"
    }
    assert listed == set(ids)
