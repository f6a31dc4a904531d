"""A marketer's mistakes, through the staff API: each is a 4xx naming it (or a preview
row saying why), never a 500, and nothing is sent: a template that breaks while
rendering, a field no customer has, a schedule in the past, a broadcast sent now to an
empty segment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from bot.app import create_app
from bot.settings import Settings
from channels.messages import Channel
from crm_store import campaigns, staff
from crm_store.base import utcnow
from crm_store.models import Campaign
from engagement.sends import LATE_START_LIMIT
from tests.support.app import eventually, services
from tests.support.campaigns import Shopper, shoppers
from tests.support.fakes import RecordingSender, ScriptedDialogue

LAPSED = {
    "name": "lapsed",
    "filter": {"field": "last_order_days_ago", "op": "gt", "value": 90},
}
NOBODY = {"name": "nobody", "filter": {"field": "order_count", "op": "gt", "value": 1000}}


@pytest.fixture
def sms() -> RecordingSender:
    return RecordingSender(Channel.SMS)


@pytest.fixture
def client(settings: Settings, sms: RecordingSender) -> Iterator[TestClient]:
    # No quiet hours: a test that sends would otherwise wait for the recipients' morning
    # whenever the suite runs in their night (it failed so at 22:30 in San Francisco).
    quiet_off = settings.campaigns.model_copy(
        update={"quiet_hours_start": time(0, 0), "quiet_hours_end": time(0, 0)}
    )
    settings = settings.model_copy(update={"campaigns": quiet_off})
    app = create_app(settings, dialogue=ScriptedDialogue(), senders={Channel.SMS: sms})
    with TestClient(app) as client:
        shoppers(
            services(client).database,
            [
                Shopper(name="Lapsed One", phone="+14155550001", orders=2, last_order_days_ago=120),
                Shopper(name="Lapsed Two", phone="+14155550002", orders=3, last_order_days_ago=200),
            ],
        )
        yield client


@pytest.fixture
def marketer(client: TestClient) -> dict[str, str]:
    with services(client).database.transaction() as session:
        _, token = staff.create_staff(
            session, name="Mia", email="mia@example.com", role="marketing"
        )
    headers = {"Authorization": f"Bearer {token}"}
    for segment in (LAPSED, NOBODY):
        assert client.post("/api/v1/segments", json=segment, headers=headers).status_code == 201
    return headers


def _campaign(client: TestClient, headers: dict[str, str], body: str, segment: str = "lapsed"):
    return client.post(
        "/api/v1/campaigns",
        json={"name": body[:60], "segment": segment, "content": {"sms": {"body": body}}},
        headers=headers,
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{{ order_count + "a" }}', "unsupported operand type(s) for +: 'int' and 'str'"),
        ("{% for i in range(100000000) %}x{% endfor %}", "Range too big"),
        ("{{ spend * 99999999999 }}", "repeating that makes more than 20,000 items"),
        ('{{ "x" * 100000000 }}', "repeating that makes more than 20,000 items"),
        ('{{ ("x" * 15000) ~ ("y" * 15000) }}', "renders to 30,000 characters, over the 20,000"),
        ("{{ 2 ** 100000000 }}", "a power over 300 is refused"),
    ],
)
def test_a_template_that_breaks_while_rendering_is_a_preview_row_and_a_422(
    client: TestClient, marketer: dict[str, str], sms: RecordingSender, body: str, reason: str
) -> None:
    created = _campaign(client, marketer, body)
    assert created.status_code == 201, created.text
    campaign = created.json()["id"]

    preview = client.get(f"/api/v1/campaigns/{campaign}/preview", headers=marketer)
    assert preview.status_code == 200, preview.text
    assert preview.json()["steps"]["sms"]["excluded"] == {"template": 2}
    assert all(reason in e["error"] for e in preview.json()["template_errors"])

    refused = client.post(f"/api/v1/campaigns/{campaign}/schedule", json={}, headers=marketer)
    assert refused.status_code == 422, refused.text
    assert reason in refused.json()["detail"][0]["msg"]
    again = client.get(f"/api/v1/campaigns/{campaign}", headers=marketer).json()
    assert again["status"] == "draft"
    assert sms.sent == []


def test_a_field_no_customer_can_have_is_refused_when_saved_with_the_fields_listed(
    client: TestClient, marketer: dict[str, str]
) -> None:
    refused = _campaign(client, marketer, "Hi {{ frist_name }}, 15% off")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert "no field named 'frist_name'" in error
    assert "first_name" in error and "attributes" in error
    # Names the template sets itself, loops, the sandbox's globals and attributes.* pass.
    fine = _campaign(
        client,
        marketer,
        "{% set greeting = 'Hi' %}{{ greeting }} {{ first_name }}{% for i in range(2) %}"
        "{{ loop.index }}{% endfor %} {{ attributes.city | default('') }}",
    )
    assert fine.status_code == 201, fine.text


def test_a_campaign_saved_before_the_field_check_still_previews_with_the_reason(
    client: TestClient, marketer: dict[str, str]
) -> None:
    """A draft stored by an older version, or written straight into the store, is not
    refused wholesale: each customer's row says the field is missing, as before."""
    with services(client).database.transaction() as session:
        segment = campaigns.segment_by_name(session, "lapsed")
        assert segment is not None
        old = campaigns.add_campaign(
            session,
            name="From before",
            status="draft",
            segment_id=segment.id,
            purpose="marketing",
            content={"sms": {"body": "Hi {{ frist_name }}"}},
            holdout_share=0.0,
            conversion_days=14,
            source="api",
        )
    preview = client.get(f"/api/v1/campaigns/{old.id}/preview", headers=marketer)
    assert preview.status_code == 200, preview.text
    assert preview.json()["steps"]["sms"]["excluded"] == {"template": 2}
    assert "'frist_name' is undefined" in preview.json()["template_errors"][0]["error"]


def test_a_schedule_in_the_past_is_refused_and_the_campaign_stays_a_draft(
    client: TestClient, marketer: dict[str, str], sms: RecordingSender
) -> None:
    campaign = _campaign(client, marketer, "Hi {{ first_name }}").json()["id"]
    refused = client.post(
        f"/api/v1/campaigns/{campaign}/schedule",
        json={"at": "2020-01-01T09:00:00+00:00"},
        headers=marketer,
    )
    assert refused.status_code == 422
    assert "2020-01-01T09:00:00+00:00 is in the past" in refused.json()["error"]
    assert "leave it out to send now" in refused.json()["error"]
    assert client.get(f"/api/v1/campaigns/{campaign}", headers=marketer).json()["status"] == (
        "draft"
    )
    # A time typed a minute ago still means now.
    just_now = (utcnow() - timedelta(minutes=1)).isoformat()
    scheduled = client.post(
        f"/api/v1/campaigns/{campaign}/schedule", json={"at": just_now}, headers=marketer
    )
    assert scheduled.status_code == 200, scheduled.text


def test_a_draft_saved_for_a_time_that_has_passed_is_not_sent_at_once(
    client: TestClient, marketer: dict[str, str], sms: RecordingSender
) -> None:
    yesterday = (utcnow() - timedelta(days=1)).replace(microsecond=0)
    saved = client.post(
        "/api/v1/campaigns",
        json={
            "name": "Sale ends today",
            "segment": "lapsed",
            "content": {"sms": {"body": "The sale ends today"}},
            "scheduled_at": yesterday.isoformat(),
        },
        headers=marketer,
    ).json()
    assert saved["status"] == "draft" and saved["scheduled_at_passed"] is True
    refused = client.post(f"/api/v1/campaigns/{saved['id']}/schedule", json={}, headers=marketer)
    # 409, as a scheduled campaign posted again with a time that has passed: the
    # campaign's own time is what stands in the way (bot/api/campaigns.py).
    assert refused.status_code == 409
    assert f"saved time {yesterday.isoformat()} has passed" in refused.json()["error"]
    assert (
        client.get(f"/api/v1/campaigns/{saved['id']}", headers=marketer).json()["status"] == "draft"
    )
    # The marketer decides: now, said as such.
    now = client.post(
        f"/api/v1/campaigns/{saved['id']}/schedule", json={"at": "now"}, headers=marketer
    )
    assert now.status_code == 200, now.text
    assert now.json()["status"] == "scheduled" and now.json()["scheduled_at_passed"] is False


def test_a_broadcast_sent_now_to_an_empty_segment_is_refused_one_for_later_is_not(
    client: TestClient, marketer: dict[str, str]
) -> None:
    campaign = _campaign(client, marketer, "Hi", segment="nobody").json()["id"]
    refused = client.post(f"/api/v1/campaigns/{campaign}/schedule", json={}, headers=marketer)
    assert refused.status_code == 422
    assert refused.json()["error"] == (
        "segment 'nobody' has no customers now, so nothing would be sent; "
        "preview the segment, or change its filter"
    )
    assert client.get(f"/api/v1/campaigns/{campaign}", headers=marketer).json()["status"] == (
        "draft"
    )
    later = (utcnow() + timedelta(days=2)).isoformat()
    scheduled = client.post(
        f"/api/v1/campaigns/{campaign}/schedule", json={"at": later}, headers=marketer
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["status"] == "scheduled"


def test_a_broadcast_sent_now_that_nobody_may_get_is_refused_with_why(
    client: TestClient, marketer: dict[str, str], sms: RecordingSender
) -> None:
    """Everyone in the segment excluded for good (no consent here): sent now it would end
    having sent nothing, saying nothing; refused with the preview's counts instead."""
    shoppers(
        services(client).database,
        [
            Shopper(name="No Consent", phone="+14155550011", orders=7, consent=False),
            Shopper(name="Nor Her", phone="+14155550012", orders=7, consent=False),
        ],
    )
    segment = {"name": "sevens", "filter": {"field": "order_count", "op": "eq", "value": 7}}
    assert client.post("/api/v1/segments", json=segment, headers=marketer).status_code == 201
    campaign = _campaign(client, marketer, "Hi", segment="sevens").json()["id"]
    refused = client.post(f"/api/v1/campaigns/{campaign}/schedule", json={}, headers=marketer)
    assert refused.status_code == 422
    assert refused.json()["error"] == (
        "none of the 2 customers of segment 'sevens' can get this campaign (2 never agreed "
        "to marketing on this channel), so nothing would be sent; the preview lists them"
    )
    assert client.get(f"/api/v1/campaigns/{campaign}", headers=marketer).json()["status"] == (
        "draft"
    )
    assert sms.sent == []


def test_a_draft_saved_for_later_sent_now_with_a_deadline_before_that_time_goes(
    client: TestClient, marketer: dict[str, str]
) -> None:
    """The scheduling check previews the campaign as it will go (now, with the new
    deadline), not at the draft's saved time, after which that deadline has passed
    and everyone would look excluded (the review's reproduction)."""
    later = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    saved = client.post(
        "/api/v1/campaigns",
        json={
            "name": "Flash sale",
            "segment": "lapsed",
            "content": {"sms": {"body": "Flash sale"}},
            "scheduled_at": later.isoformat(),
        },
        headers=marketer,
    ).json()
    soon = (utcnow() + timedelta(hours=2)).isoformat()
    now = client.post(
        f"/api/v1/campaigns/{saved['id']}/schedule",
        json={"at": "now", "deadline": soon},
        headers=marketer,
    )
    assert now.status_code == 200, now.text
    assert now.json()["status"] == "scheduled"


def test_a_survey_campaign_is_refused_with_where_surveys_come_from(
    client: TestClient, marketer: dict[str, str]
) -> None:
    refused = client.post(
        "/api/v1/campaigns",
        json={
            "name": "How did we do?",
            "segment": "lapsed",
            "purpose": "surveys",
            "content": {"web": {"body": "Rate us 1 to 5"}},
        },
        headers=marketer,
    )
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("body.purpose: surveys are not campaigns")
    assert "the bot asks for a rating after each resolved conversation" in refused.json()["error"]


def _paused_for_a_time_long_gone(client: TestClient, marketer: dict[str, str], **late) -> int:
    """A campaign scheduled for later and paused before it started, whose time then
    went by (the stored time is moved back, as the clock would have moved on)."""
    campaign = _campaign(client, marketer, "Sale ends today").json()["id"]
    soon = (utcnow() + timedelta(hours=1)).isoformat()
    body = {"at": soon, **late}
    scheduled = client.post(f"/api/v1/campaigns/{campaign}/schedule", json=body, headers=marketer)
    assert scheduled.status_code == 200, scheduled.text
    paused = client.post(f"/api/v1/campaigns/{campaign}/pause", headers=marketer)
    assert paused.json()["status"] == "paused"
    with services(client).database.transaction() as session:
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign)
            .values(scheduled_at=utcnow() - LATE_START_LIMIT - timedelta(minutes=30))
        )
    return campaign


def test_resuming_a_campaign_whose_time_passed_over_the_late_limit_is_refused(
    client: TestClient, marketer: dict[str, str], sms: RecordingSender
) -> None:
    """It used to answer 200 "scheduled", and the scheduler then put it back to draft
    unsent, with only a line in the server log to say so."""
    campaign = _paused_for_a_time_long_gone(client, marketer)
    refused = client.post(f"/api/v1/campaigns/{campaign}/resume", headers=marketer)
    assert refused.status_code == 409, refused.text
    reason = refused.json()["error"]
    assert "more than 1 hour ago" in reason and "would not be sent" in reason
    assert "schedule it again with a new `at`" in reason
    assert client.get(f"/api/v1/campaigns/{campaign}", headers=marketer).json()["status"] == (
        "paused"
    )
    # Following the reason works: scheduled again for now, it is sent.
    again = client.post(
        f"/api/v1/campaigns/{campaign}/schedule", json={"at": "now"}, headers=marketer
    )
    assert again.status_code == 200, again.text
    assert eventually(lambda: len(sms.sent) == 2)


def test_resuming_a_campaign_whose_deadline_went_by_while_paused_is_refused(
    client: TestClient, marketer: dict[str, str]
) -> None:
    """With a deadline the scheduler starts it however late, and every row would be
    suppressed `deadline`: nothing sent. Said at the resume instead."""
    late = {"deadline": (utcnow() + timedelta(hours=2)).isoformat()}
    campaign = _paused_for_a_time_long_gone(client, marketer, **late)
    with services(client).database.transaction() as session:
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign)
            .values(send_deadline=utcnow() - timedelta(minutes=1))
        )
    refused = client.post(f"/api/v1/campaigns/{campaign}/resume", headers=marketer)
    assert refused.status_code == 409, refused.text
    assert "deadline" in refused.json()["error"] and "a new `deadline`" in refused.json()["error"]


def test_a_deadline_refused_is_409_when_saved_with_the_campaign_422_when_in_the_request(
    client: TestClient, marketer: dict[str, str]
) -> None:
    """One rule (bot/api/campaigns.py): the campaign's own time in the way is a
    conflict with its state; a request whose deadline comes before its time is invalid
    in itself, whatever the campaign."""
    yesterday = (utcnow() - timedelta(days=1)).replace(microsecond=0)
    saved = client.post(
        "/api/v1/campaigns",
        json={
            "name": "Weekend sale",
            "segment": "lapsed",
            "content": {"sms": {"body": "Weekend sale"}},
            "send_deadline": yesterday.isoformat(),
        },
        headers=marketer,
    ).json()
    path = f"/api/v1/campaigns/{saved['id']}/schedule"
    conflict = client.post(path, json={"at": "now"}, headers=marketer)
    assert conflict.status_code == 409, conflict.text
    assert (
        f"the campaign's deadline {yesterday.isoformat()} is not after"
        in (conflict.json()["error"])
    )
    assert "give a new `deadline`" in conflict.json()["error"]
    later = utcnow() + timedelta(days=1)
    invalid = client.post(
        path,
        json={"at": later.isoformat(), "deadline": (later - timedelta(hours=1)).isoformat()},
        headers=marketer,
    )
    assert invalid.status_code == 422, invalid.text
    assert invalid.json()["error"] == "the send deadline must be after the scheduled time"
    fixed = client.post(path, json={"at": "now", "deadline": later.isoformat()}, headers=marketer)
    assert fixed.status_code == 200, fixed.text
