"""GET /api/v1/surveys: the answers behind the support report's satisfaction score,
chosen as the report chooses them (asked in the range, on the channel), with the
customer's comment and whom the rating was credited to; agents and admins only, and
each customer listed is an audited read. The week of tests/support/support_week.py:
Ann rated the bot 5, Ben rated Sam 2 ("slow"), Cat was asked and did not answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_store import audit
from crm_store.models import StaffUser
from tests.bot.conftest import Readers
from tests.support.app import services
from tests.support.support_week import SupportWeek, write_chat_touching_every_figure

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

WEEK = "from=2026-03-02&to=2026-03-08"


def test_the_answers_of_the_week_are_the_reports_responses(readers: Readers) -> None:
    answer = readers.client.get(f"/api/v1/surveys?{WEEK}", headers=readers.agent)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["range"] == {"from": "2026-03-02", "to": "2026-03-08", "channel": None}
    shown = [(s["customer"]["name"], s["score"], s["comment"]) for s in found["surveys"]]
    assert shown == [("Ben", 2, "slow"), ("Ann", 5, None)]  # latest asked first; Cat never answered
    ben = found["surveys"][0]
    assert (ben["channel"], ben["resolved_by"], ben["staff"]["name"]) == (
        "sms",
        "agent",
        "Sam Carter",
    )
    assert found["surveys"][1]["staff"] is None  # the bot resolved Ann's
    report = readers.client.get(
        f"/api/v1/reports/support/satisfaction?{WEEK}", headers=readers.agent
    ).json()
    assert report["satisfaction"]["responses"] == len(found["surveys"])


def test_the_unhappy_ones_one_channel_and_paging(readers: Readers) -> None:
    def names(query: str) -> list[str]:
        answer = readers.client.get(f"/api/v1/surveys?{WEEK}&{query}", headers=readers.agent)
        assert answer.status_code == 200, answer.text
        return [s["customer"]["name"] for s in answer.json()["surveys"]]

    assert names("max_score=2") == ["Ben"]
    assert names("channel=web") == ["Ann"]
    assert names("limit=1") == ["Ben"]
    assert names("offset=1") == ["Ann"]


def test_a_terminal_chats_rating_is_not_listed(readers: Readers) -> None:
    """`switchboard chat` is an operator trying the bot: the report leaves its surveys
    out (analytics/support/period.py, TRIAL_CHANNELS), and so does the list."""
    database = services(readers.client).database
    with database.transaction() as session:
        sam = session.scalars(select(StaffUser.id).where(StaffUser.email == "sam@acme.test")).one()
    write_chat_touching_every_figure(database, "terminal", SupportWeek(sam, sam))
    answer = readers.client.get(f"/api/v1/surveys?{WEEK}", headers=readers.agent)
    assert [s["customer"]["name"] for s in answer.json()["surveys"]] == ["Ben", "Ann"]
    write_chat_touching_every_figure(database, "web", SupportWeek(sam, sam))
    answer = readers.client.get(f"/api/v1/surveys?{WEEK}", headers=readers.agent)
    assert [s["customer"]["name"] for s in answer.json()["surveys"]] == ["Dee", "Ben", "Ann"]


@pytest.mark.parametrize(
    "query", ["max_score=6", "from=2026-03-08&to=2026-03-02", "channel=fax", "from=9999-12-31"]
)
def test_bad_filters_are_refused_with_the_reason(readers: Readers, query: str) -> None:
    answer = readers.client.get(f"/api/v1/surveys?{query}", headers=readers.agent)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]


def test_only_agents_and_admins_read_them_and_each_read_is_audited(readers: Readers) -> None:
    assert readers.client.get("/api/v1/surveys", headers=readers.sales).status_code == 403
    assert readers.client.get("/api/v1/surveys").status_code == 401
    shown = readers.client.get(f"/api/v1/surveys?{WEEK}", headers=readers.agent).json()
    with services(readers.client).database.transaction() as session:
        for survey in shown["surveys"]:
            (entry,) = audit.audit_entries(session, customer_id=survey["customer"]["id"])
            assert (entry.action, entry.endpoint) == ("read", "GET /api/v1/surveys")
