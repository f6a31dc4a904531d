"""The staff API for campaigns, end to end in the app: a marketer saves the segment,
previews, creates an SMS + email campaign with a holdout, schedules it; the app's own
workers send it; a recipient unsubscribes with the RFC 8058 one-click POST (single use),
and the report reads it all back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import CampaignSettings, Settings
from channels.messages import Channel
from crm_store import consents, staff
from crm_store.models import ConsentEntry
from tests.support.app import eventually, services
from tests.support.campaigns import Shopper, shoppers
from tests.support.fakes import RecordingSender, ScriptedDialogue

SEGMENT = {
    "name": "bought twice, nothing in 90 days",
    "filter": {
        "all": [
            {"field": "order_count", "op": "gte", "value": 2},
            {"field": "last_order_days_ago", "op": "gt", "value": 90},
        ]
    },
}


@pytest.fixture
def sent() -> dict[Channel, RecordingSender]:
    return {
        Channel.SMS: RecordingSender(Channel.SMS),
        Channel.EMAIL: RecordingSender(Channel.EMAIL),
    }


@pytest.fixture
def client(settings: Settings, sent: dict[Channel, RecordingSender]) -> Iterator[TestClient]:
    settings = settings.model_copy(
        update={
            "public_base_url": "https://support.example.com",
            "campaigns": CampaignSettings(
                poll_interval_seconds=0.05,
                quiet_hours_start="00:00",
                quiet_hours_end="00:00",
                sms_per_second=1000,
                email_per_second=1000,
            ),
        }
    )
    app = create_app(settings, dialogue=ScriptedDialogue(), senders=sent)
    with TestClient(app) as client:
        yield client


def _token(client: TestClient, role: str) -> dict[str, str]:
    with services(client).database.transaction() as session:
        _, token = staff.create_staff(
            session, name=role.title(), email=f"{role}@example.com", role=role
        )
    return {"Authorization": f"Bearer {token}"}


def test_marketer_sends_a_re_engagement_campaign_and_a_reader_unsubscribes(
    client: TestClient, sent: dict[Channel, RecordingSender]
) -> None:
    database = services(client).database
    shoppers(
        database,
        [
            Shopper(
                name=f"Lapsed {n}",
                phone=f"+1415555{n:04d}",
                email=f"lapsed{n}@example.com",
                orders=2,
                last_order_days_ago=120,
            )
            for n in range(30)
        ]
        + [Shopper(name="Recent", phone="+14155559999", orders=3, last_order_days_ago=3)],
    )
    marketer, agent = _token(client, "marketing"), _token(client, "agent")
    assert client.post("/api/v1/segments", json=SEGMENT, headers=agent).status_code == 403
    bad = client.post(
        "/api/v1/segments",
        json={"name": "x", "filter": {"field": "order_count", "op": "gte", "value": "2"}},
        headers=marketer,
    )
    assert bad.status_code == 422
    # As the README quotes it: the reason alone, without pydantic's "Value error, ".
    assert bad.json()["error"] == "body.filter: filter.value: a whole number, 0 or more, not '2'"
    assert bad.json()["detail"][0]["msg"] == "filter.value: a whole number, 0 or more, not '2'"
    segment = client.post("/api/v1/segments", json=SEGMENT, headers=marketer).json()
    preview = client.get(f"/api/v1/segments/{segment['id']}/preview", headers=marketer).json()
    assert preview["count"] == 30

    created = client.post(
        "/api/v1/campaigns",
        json={
            "name": "Re-engagement",
            "segment": SEGMENT["name"],
            "content": {
                "sms": {"body": "{{ first_name }}, 15% off your next order: code BACK15"},
                "email": {"subject": "We saved you 15%", "body": "Hi {{ name }},\n\nCode BACK15."},
            },
            "holdout_share": 0.2,
            "conversion_days": 14,
        },
        headers=marketer,
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    dry = client.get(f"/api/v1/campaigns/{campaign_id}/preview", headers=marketer).json()
    held = dry["steps"]["sms"]["excluded"].get("holdout", 0)
    assert dry["audience"] == 30 and dry["steps"]["sms"]["send_now"] == 30 - held
    assert {row["reason"] for row in dry["rows"] if row["decision"] == "excluded"} <= {"holdout"}
    assert sent[Channel.SMS].sent == []  # a dry run sends nothing

    scheduled = client.post(f"/api/v1/campaigns/{campaign_id}/schedule", json={}, headers=marketer)
    assert scheduled.status_code == 200, scheduled.text
    report = eventually(
        lambda: (
            r
            if (
                r := client.get(f"/api/v1/campaigns/{campaign_id}/report", headers=marketer).json()
            )["status"]
            == "done"
            else None
        )
    )
    assert report["steps"]["sms"]["sent"] == len(sent[Channel.SMS].sent) == 30 - held
    assert report["steps"]["email"]["sent"] == len(sent[Channel.EMAIL].sent) == 30 - held
    assert report["conversions"]["holdout"]["customers"] == held
    again = client.post(f"/api/v1/campaigns/{campaign_id}/resume", headers=marketer)
    assert again.status_code == 409

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL.
    mail = sent[Channel.EMAIL].sent[0]
    url = mail.attributes["unsubscribe_url"]
    assert url.startswith("https://support.example.com/unsubscribe?t=")
    assert url in mail.text  # the footer link is the same link
    path = url.removeprefix("https://support.example.com")
    one_click = {
        "content": "List-Unsubscribe=One-Click",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }
    done = client.post(path, **one_click)
    assert done.status_code == 200 and "no more" in done.text
    with database.transaction() as session:
        assert consents.opt_out_of(session, "email", mail.address, purpose="marketing")
        assert consents.opt_out_of(session, "email", mail.address, purpose="service") is None
        entries = session.query(ConsentEntry).count()
    used = client.post(path, **one_click)
    assert used.status_code == 200 and "used already" in used.text
    with database.transaction() as session:
        assert session.query(ConsentEntry).count() == entries  # single use: nothing more
    report = client.get(f"/api/v1/campaigns/{campaign_id}/report", headers=marketer).json()
    assert report["unsubscribes"] == 1


def test_a_channel_with_no_provider_is_named_in_the_preview_and_refused_at_scheduling(
    settings: Settings,
) -> None:
    """Every send of a step on a channel this server cannot send on would fail: the
    preview says so, and scheduling is refused with what to set up (nothing is frozen)."""
    only_sms = {Channel.SMS: RecordingSender(Channel.SMS)}
    app = create_app(settings, dialogue=ScriptedDialogue(), senders=only_sms)
    with TestClient(app) as client:
        shoppers(
            services(client).database,
            [
                Shopper(
                    name="Lapsed",
                    phone="+14155550001",
                    email="l@example.com",
                    orders=2,
                    last_order_days_ago=120,
                )
            ],
        )
        marketer = _token(client, "marketing")
        client.post("/api/v1/segments", json=SEGMENT, headers=marketer)
        created = client.post(
            "/api/v1/campaigns",
            json={
                "name": "Both channels",
                "segment": SEGMENT["name"],
                "content": {"sms": {"body": "Hi"}, "email": {"subject": "Hi", "body": "Hi"}},
            },
            headers=marketer,
        ).json()
        dry = client.get(f"/api/v1/campaigns/{created['id']}/preview", headers=marketer).json()
        assert dry["channels_off"] == ["email"]
        refused = client.post(
            f"/api/v1/campaigns/{created['id']}/schedule", json={}, headers=marketer
        )
        assert refused.status_code == 422
        assert "cannot send on email" in refused.json()["error"]
        assert "SWITCHBOARD_EMAIL__SMTP_HOST" in refused.json()["error"]
        still = client.get(f"/api/v1/campaigns/{created['id']}", headers=marketer).json()
        assert still["status"] == "draft"
        # The refusal says the other way on, and following it works: the same name saved
        # again without the email step changes the draft, which then schedules.
        assert "save the campaign again under the same name without" in refused.json()["error"]
        changed = client.post(
            "/api/v1/campaigns",
            json={
                "name": "Both channels",
                "segment": SEGMENT["name"],
                "content": {"sms": {"body": "Hi"}},
            },
            headers=marketer,
        ).json()
        assert (changed["id"], changed["steps"]) == (created["id"], ["sms"])
        scheduled = client.post(
            f"/api/v1/campaigns/{created['id']}/schedule", json={}, headers=marketer
        )
        assert scheduled.status_code == 200, scheduled.text
