"""`switchboard campaigns ...` over a store on SQLite and PostgreSQL: segments and
campaigns loaded from YAML files, a preview that names each exclusion, a template error
that fails the preview and refuses scheduling, then schedule, run and report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from bot.cli import main
from crm_store import Database, upgrade
from crm_store.audit import audit_entries
from crm_store.models import Campaign
from tests.support.campaigns import Shopper, shoppers
from tests.support.twilio_standin import TwilioStandIn

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

FILE = """
segments:
  - name: bought twice, nothing in 90 days
    filter:
      all:
        - {field: order_count, op: gte, value: 2}
        - {field: last_order_days_ago, op: gt, value: 90}
campaigns:
  - name: Re-engagement
    segment: bought twice, nothing in 90 days
    holdout_share: 0.0
    content:
      sms:
        body: "Hi {{ first_name | default('there') }}, 15% off with BACK15"
  - name: Careless
    segment: bought twice, nothing in 90 days
    content:
      sms:
        body: "Hi {{ first_name }}"
"""


@pytest.fixture
def store(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    twilio = TwilioStandIn().start()
    for key, value in {
        "SWITCHBOARD_DATA_DIR": str(tmp_path / "var"),
        "SWITCHBOARD_DATABASE__URL": database_url,
        "SWITCHBOARD_LOG__FORMAT": "text",
        "SWITCHBOARD_LOG__LEVEL": "ERROR",
        "SWITCHBOARD_PUBLIC_BASE_URL": "https://support.example.com",
        "SWITCHBOARD_TWILIO__ACCOUNT_SID": "AC" + "0" * 32,
        "SWITCHBOARD_TWILIO__AUTH_TOKEN": "cli-token",
        "SWITCHBOARD_TWILIO__FROM_NUMBER": "+14155550000",
        "SWITCHBOARD_TWILIO__API_BASE_URL": twilio.url,
        "SWITCHBOARD_CAMPAIGNS__POLL_INTERVAL_SECONDS": "0.1",
        "SWITCHBOARD_CAMPAIGNS__QUIET_HOURS_START": "00:00",
        "SWITCHBOARD_CAMPAIGNS__QUIET_HOURS_END": "00:00",
    }.items():
        monkeypatch.setenv(key, value)
    upgrade(database_url)
    database = Database(database_url)
    database.twilio = twilio  # type: ignore[attr-defined]
    yield database
    database.dispose()
    twilio.stop()


def test_load_preview_schedule_run_report(store: Database, tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "spring.yml").write_text(FILE)
    (folder / "broken.yaml").write_text("campaigns:\n  - name: x\n    segment: nowhere\n")
    _, unnamed, stopped = shoppers(
        store,
        [
            Shopper(phone="+14155550701", orders=2, last_order_days_ago=100),
            Shopper(name=None, phone="+14155550702", orders=2, last_order_days_ago=100),
            Shopper(phone="+14155550703", orders=2, last_order_days_ago=100, consent=False),
        ],
    )
    runner = CliRunner()
    loaded = runner.invoke(main, ["campaigns", "load", str(folder)])
    assert loaded.exit_code == 1  # the broken file is reported, the good one loaded
    assert "campaigns: Re-engagement, Careless" in loaded.output
    assert "broken.yaml: campaign 'x'" in loaded.output and "content" in loaded.output
    assert "Value error" not in loaded.output  # pydantic's prefix, not the reason

    preview = runner.invoke(main, ["campaigns", "preview", "1"])
    assert preview.exit_code == 0, preview.output
    assert "audience 3" in preview.output
    assert "sms: send 2, wait for quiet hours 0; excluded: no_consent 1" in preview.output
    assert f"customer {stopped}\tsms\texcluded\tno_consent" in preview.output

    careless = runner.invoke(main, ["campaigns", "preview", "2"])
    assert careless.exit_code == 1
    assert f"template error: customer {unnamed}, sms:" in careless.output
    assert "'first_name' is undefined" in careless.output
    refused = runner.invoke(main, ["campaigns", "schedule", "2"])
    assert refused.exit_code == 1 and f"customer {unnamed}, sms" in refused.output

    assert runner.invoke(main, ["campaigns", "schedule", "1"]).exit_code == 0
    ran = runner.invoke(main, ["campaigns", "run", "1"])
    assert ran.exit_code == 0, ran.output
    sent_to = sorted(post.form["To"] for post in store.twilio.accepted)  # type: ignore[attr-defined]
    assert sent_to == ["+14155550701", "+14155550702"]
    report = json.loads(runner.invoke(main, ["campaigns", "report", "1"]).output)
    assert report["status"] == "done"
    assert report["steps"]["sms"]["sent"] == 2
    assert report["steps"]["sms"]["suppressed"] == {"no_consent": 1}
    assert report["steps"]["sms"]["sms_segments"] == 2

    # Who it went to: each customer and step with the state and the reason.
    page = json.loads(runner.invoke(main, ["campaigns", "recipients", "1", "--limit", "2"]).output)
    assert page["counts"]["by_state"] == {"sent": 2, "suppressed": 1}
    assert len(page["recipients"]) == 2 and page["next_after_id"] is not None
    (refused_row,) = json.loads(
        runner.invoke(
            main,
            ["campaigns", "recipients", "1", "--state", "suppressed", "--reason", "no_consent"],
        ).output
    )["recipients"]
    assert refused_row["customer"]["id"] == stopped and refused_row["address"] is None
    # One step's rows, as `?step=` on the API.
    only_sms = json.loads(
        runner.invoke(main, ["campaigns", "recipients", "1", "--step", "sms"]).output
    )
    assert len(only_sms["recipients"]) == 3
    no_email = json.loads(
        runner.invoke(main, ["campaigns", "recipients", "1", "--step", "email"]).output
    )
    assert no_email["recipients"] == []
    # Each customer listed is an audited read, as over the API: by the system, via the CLI.
    with store.transaction() as session:
        entries = audit_entries(session, limit=500)
    assert {e.endpoint for e in entries} == {"switchboard campaigns recipients"}
    assert {(e.via, e.action, e.staff_id) for e in entries} == {("cli", "read", None)}
    assert sorted(e.customer_id for e in entries) == sorted(
        [r["customer"]["id"] for r in page["recipients"]]
        + [stopped]
        + [r["customer"]["id"] for r in only_sms["recipients"]]
    )


def test_a_saved_time_that_has_passed_needs_a_new_one(store: Database, tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    (folder / "sale.yml").write_text(
        FILE.split("  - name: Careless")[0].replace(
            "    holdout_share: 0.0\n",
            f"    holdout_share: 0.0\n    scheduled_at: '{yesterday.isoformat()}'\n",
        )
    )
    shoppers(store, [Shopper(phone="+14155550701", orders=2, last_order_days_ago=100)])
    runner = CliRunner()
    assert runner.invoke(main, ["campaigns", "load", str(folder)]).exit_code == 0
    refused = runner.invoke(main, ["campaigns", "schedule", "1"])
    assert refused.exit_code == 1
    assert f"the campaign's saved time {yesterday.isoformat()} has passed" in refused.output
    now = runner.invoke(main, ["campaigns", "schedule", "1", "--at", "now"])
    assert now.exit_code == 0, now.output
    assert "campaign 1 scheduled for " in now.output


def test_resuming_a_campaign_whose_time_went_by_while_paused_is_refused(
    store: Database, tmp_path: Path
) -> None:
    """As over the API: refused with the way on, not "scheduled" and then put back to
    draft by the scheduler."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "spring.yml").write_text(FILE)
    shoppers(store, [Shopper(phone="+14155550701", orders=2, last_order_days_ago=100)])
    runner = CliRunner()
    runner.invoke(main, ["campaigns", "load", str(folder)])
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert runner.invoke(main, ["campaigns", "schedule", "1", "--at", soon]).exit_code == 0
    assert runner.invoke(main, ["campaigns", "pause", "1"]).output == "campaign 1 is paused\n"
    long_ago = datetime.now(UTC) - timedelta(hours=3)  # the clock moved on while paused
    with store.transaction() as session:
        session.execute(update(Campaign).where(Campaign.id == 1).values(scheduled_at=long_ago))
    refused = runner.invoke(main, ["campaigns", "resume", "1"])
    assert refused.exit_code == 1
    assert "more than 1 hour ago (the late-start limit)" in refused.output
    assert "schedule it again with a new `at` (a time to come, or now)" in refused.output
    again = runner.invoke(main, ["campaigns", "schedule", "1", "--at", "now"])
    assert again.exit_code == 0, again.output
    assert "campaign 1 scheduled for " in again.output


JOURNEY = """
segments:
  - name: everyone
    filter: {all: []}
journeys:
  - name: Welcome
    segment: everyone
    trigger: {entered_segment: true}
    steps:
      - {name: hello, send: sms, body: "Welcome!"}
      - {name: two-days, wait: {days: 2}}
      - {name: tips, send: sms, body: "Two tips"}
"""


def test_a_journey_preview_prints_when_each_step_falls_due(store: Database, tmp_path: Path) -> None:
    folder = tmp_path / "journeys"
    folder.mkdir()
    (folder / "welcome.yml").write_text(JOURNEY)
    (customer,) = shoppers(store, [Shopper(phone="+14155550704")])
    runner = CliRunner()
    assert runner.invoke(main, ["campaigns", "load", str(folder)]).exit_code == 0
    shown = runner.invoke(main, ["campaigns", "preview", "1", "--limit", "10"])
    assert shown.exit_code == 0, shown.output
    hello, tips = [line for line in shown.output.splitlines() if f"customer {customer}\t" in line]
    assert hello.split("\t")[1:3] == ["hello", "send"] and "\tdue " in hello
    due = [datetime.fromisoformat(line.split("\tdue ")[1].split("\t")[0]) for line in (hello, tips)]
    assert due[1] - due[0] == timedelta(days=2)


def test_run_refuses_what_would_never_finish_and_says_what_is_done(
    store: Database, tmp_path: Path
) -> None:
    """`run` of a campaign that does not exist or is a draft would wait for ever, saying
    nothing: refused with the way on. Run again once done, it says so and sends nothing
    twice."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "spring.yml").write_text(FILE)
    shoppers(store, [Shopper(phone="+14155550711", orders=2, last_order_days_ago=100)])
    runner = CliRunner()
    assert runner.invoke(main, ["campaigns", "load", str(folder)]).exit_code == 0

    missing = runner.invoke(main, ["campaigns", "run", "99"])
    assert missing.exit_code == 1 and "Error: no campaign 99" in missing.output
    draft = runner.invoke(main, ["campaigns", "run", "1"])
    assert draft.exit_code == 1
    assert "campaign 1 is a draft, so nothing of it is sent" in draft.output
    assert "`switchboard campaigns schedule 1`" in draft.output
    assert store.twilio.accepted == []  # type: ignore[attr-defined]

    assert runner.invoke(main, ["campaigns", "schedule", "1"]).exit_code == 0
    ran = runner.invoke(main, ["campaigns", "run", "1"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.endswith("campaign 1 is done\n")
    again = runner.invoke(main, ["campaigns", "run", "1"])
    assert again.exit_code == 0, again.output
    assert again.output == "campaign 1 is done: nothing left to send\n"
    sent_to = [post.form["To"] for post in store.twilio.accepted]  # type: ignore[attr-defined]
    assert sent_to == ["+14155550711"]


def test_bad_input_is_refused_in_one_line_naming_what_to_fix(store: Database) -> None:
    """What a marketer mistypes gets the API's wording, not pydantic's dump or a
    traceback: a filter value, a filter that is not JSON, a time that is not ISO."""
    runner = CliRunner()
    segment = runner.invoke(
        main,
        [
            "campaigns",
            "segment",
            "at risk",
            "--filter",
            '{"field": "analytics_segment", "op": "eq", "value": "at risk"}',
        ],
    )
    assert segment.exit_code == 1
    assert segment.output.strip() == (
        "Error: invalid segment: filter: filter.value: one of champions, new, at_risk, "
        "hibernating, not 'at risk'"
    )
    not_json = runner.invoke(main, ["campaigns", "segment", "x", "--filter", "at risk"])
    assert not_json.exit_code == 2 and "Invalid value for --filter: not JSON" in not_json.output
    when = runner.invoke(main, ["campaigns", "schedule", "1", "--at", "tomorrow 9am"])
    assert when.exit_code == 2, when.output
    assert "'tomorrow 9am' is not an ISO time, e.g. 2026-12-01T09:00+01:00" in when.output
    assert not isinstance(when.exception, ValueError)


def test_list_without_campaigns_says_how_to_make_one(store: Database) -> None:
    listed = CliRunner().invoke(main, ["campaigns", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output == (
        "no campaigns yet: write them in YAML files and save them with "
        '`switchboard campaigns load FOLDER` (README "Campaigns")\n'
    )
