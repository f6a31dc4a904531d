"""Journey definitions: what is refused with a reason, what is stored, and a folder of
YAML with a journey loaded as a draft (the README's example, on SQLite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from crm_store import Database, upgrade
from crm_store.campaigns import campaign_by_name
from engagement.journey_definitions import JourneyDefinition
from engagement.yaml_files import load_folder

SEND = {"name": "hello", "send": "sms", "body": "Hi {{ first_name | default('there') }}"}


def _journey(**values: Any) -> dict[str, Any]:
    return {
        "name": "J",
        "segment": "S",
        "trigger": {"event": "order.delivered"},
        "steps": [SEND],
    } | values


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"trigger": {}}, "a trigger is one of"),
        ({"trigger": {"event": "order.delivered", "entered_segment": True}}, "a trigger is one of"),
        ({"trigger": {"event": "message.in"}}, "event must be one of"),
        ({"trigger": {"event": "order.placed", "days_before": 3}}, "days_before goes with a date"),
        (
            {"trigger": {"event": "order.placed", "again_after_days": 30}},
            "again_after_days goes with an entered_segment",
        ),
        ({"trigger": {"entered_segment": True, "again_after_days": 0}}, "greater than or equal"),
        ({"steps": [{"name": "w", "wait": {"days": 1}}]}, "at least one send step"),
        (
            {"steps": [SEND, {"name": "x", "send": "email", "body": "b"}]},
            "an email needs a subject",
        ),
        ({"steps": [SEND, SEND]}, "step names must be unique"),
        (
            {
                "steps": [
                    SEND,
                    {"name": "back", "branch": {"when": {"all": []}, "then": "hello"}},
                ]
            },
            "then must name a later step or stop",
        ),
        (
            {"steps": [SEND, {"name": "b", "branch": {"when": {"field": "nope"}, "then": "stop"}}]},
            "branch.when",
        ),
        ({"steps": [{"name": "s", "send": "web", "body": "{{ oops"}]}, "template error"),
        (
            {"steps": [{"name": "s", "send": "sms", "wait": {"days": 1}, "body": "x"}]},
            "one of send",
        ),
    ],
)
def test_a_bad_journey_is_refused_with_the_reason(values: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        JourneyDefinition.model_validate(_journey(**values))
    assert reason in str(refused.value)


def test_a_journey_is_stored_as_a_campaign_with_its_steps_and_bodies() -> None:
    definition = JourneyDefinition.model_validate(
        _journey(
            steps=[
                SEND,
                {"name": "pause", "wait": {"hours": 2}},
                {"name": "mail", "send": "email", "subject": "Hello", "body": "Mail"},
            ]
        )
    )
    stored = definition.stored_values()
    assert stored["kind"] == "journey"
    assert stored["content"] == {
        "hello": {"body": SEND["body"]},
        "mail": {"subject": "Hello", "body": "Mail"},
    }
    assert [step["name"] for step in stored["journey"]["steps"]] == ["hello", "pause", "mail"]
    assert stored["journey"]["steps"][1]["wait"]["hours"] == 2
    assert stored["journey"]["stop_when"] == ["replied", "converted"]


README_EXAMPLE = """
segments:
  - name: everyone
    filter: {all: []}
  - name: has a renewal date
    filter: {field: tag, op: has, value: subscriber}
journeys:
  - name: After delivery
    segment: everyone
    trigger: {event: order.delivered}
    steps:
      - name: thanks
        send: sms
        body: "Hi {{ first_name | default('there') }}, your order has arrived. Enjoy!"
      - name: three-days
        wait: {days: 3}
      - name: bought-again
        branch:
          when: {field: last_order_days_ago, op: lt, value: 3}
          then: stop
      - name: review
        send: email
        subject: "How is your order, {{ first_name | default('there') }}?"
        body: "Reply to this mail and tell us; we read every answer."
      - name: on-the-site
        send: web
        body: "Thanks for shopping with us! Ask here if anything is wrong."
  - name: Renewal reminder
    segment: has a renewal date
    purpose: service
    trigger: {date: renewal_date, days_before: 7}
    steps:
      - name: remind
        send: email
        subject: Your plan renews on {{ attributes.renewal_date }}
        body: "Nothing to do if you want to keep it."
"""


def test_journeys_load_from_yaml_as_drafts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    database = Database(url)
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "journeys.yml").write_text(README_EXAMPLE)
    (folder / "bad.yml").write_text("journeys:\n  - name: x\n    segment: everyone\n")
    try:
        with database.transaction() as session:
            report = load_folder(session, folder)
            after = campaign_by_name(session, "After delivery")
        assert report.journeys == ["After delivery", "Renewal reminder"], report.problems
        assert len(report.problems) == 1 and "bad.yml: journey 'x'" in report.problems[0]
        assert after is not None and after.kind == "journey" and after.status == "draft"
        assert after.channels == {"thanks": "sms", "review": "email", "on-the-site": "web"}
    finally:
        database.dispose()
