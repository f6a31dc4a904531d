"""`switchboard analytics refit|report` over a store with purchases and leads, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from crm_store import Database, upgrade
from crm_store.staff import create_staff
from tests.support.lead_history import add_lead, synthetic_history
from tests.support.purchases import SimulatedBase, add_buyer, simulate_purchase_weeks

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration


@pytest.fixture
def store(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Database:
    """The CLI's environment (no NLU model needed) over a migrated, empty store."""
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SWITCHBOARD_DATABASE__URL", database_url)
    monkeypatch.setenv("SWITCHBOARD_LOG__FORMAT", "text")
    upgrade(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


def test_refit_then_report(store: Database) -> None:
    runner = CliRunner()
    never = runner.invoke(main, ["analytics", "report"])
    assert never.exit_code == 1 and "run `switchboard analytics refit`" in never.output

    now = datetime.now(UTC)
    weeks = simulate_purchase_weeks(SimulatedBase(), customers=200, weeks=50, seed=4)
    with store.transaction() as session:
        for i, times in enumerate(weeks):
            placed = [(now - timedelta(weeks=50 - t), 1_000 + 37 * (i % 50)) for t in times]
            add_buyer(session, placed)
        synthetic_history(session, closed=80, start=now - timedelta(days=200))
        add_lead(session, channel="web", status="new", opened=now, owner=None)

    refit = runner.invoke(main, ["analytics", "refit", "--horizon-weeks", "26"])
    assert refit.exit_code == 0, refit.output
    assert "customer metrics: 281 customers" in refit.output  # 200 buyers, 81 leads
    assert "bgnbd: r = " in refit.output and "gamma_gamma: p = " in refit.output
    assert "value horizon 26 weeks" in refit.output
    assert "80 closed leads" in refit.output and "1 open leads scored" in refit.output

    report = runner.invoke(main, ["analytics", "report"])
    assert report.exit_code == 0, report.output
    fit_line = next(line for line in refit.output.splitlines() if "bgnbd: r = " in line)
    assert fit_line in report.output
    assert "lifecycle: at risk after" in report.output
    # Segments and stages both speak of "at risk": each line says what it counts and when.
    assert "segments (RFM, as of the refit at " in report.output
    assert "segments (RFM, as of this refit; " in refit.output
    stages = next(
        line for line in report.output.splitlines() if line.startswith("lifecycle stages")
    )
    assert stages.startswith(
        "lifecycle stages now (moved since by orders and the hourly stage job)"
    )
    assert "repeat " in stages


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--at-risk-days", "40", "--lapsed-days", "20"], "more than --at-risk-days"),
        (["--lead-field", "status"], "cannot be an input"),
        (["--lead-field", "shoe_size"], "unknown lead field"),
        (["--discount-rate", "2"], "--discount-rate"),
    ],
)
def test_refit_refuses_bad_options_with_the_reason(
    store: Database, arguments: list[str], reason: str
) -> None:
    refused = CliRunner().invoke(main, ["analytics", "refit", *arguments])
    assert refused.exit_code == 2 and reason in refused.output


def test_leads_lists_the_open_leads_best_chance_first(store: Database) -> None:
    # A sales manager in a shell saw only the scoring's calibration (`analytics report`),
    # never which leads to call first, as the dashboard shows them.
    runner = CliRunner()
    now = datetime.now(UTC)
    with store.transaction() as session:
        synthetic_history(session, closed=80, start=now - timedelta(days=200))
        member, _ = create_staff(session, name="Oona Owner", email="oona@x.test", role="sales")
        owner = member.id
        for channel in ("sms", "web", "email"):
            add_lead(session, channel=channel, status="new", opened=now, owner=owner)
        add_lead(session, channel="web", status="contacted", opened=now, owner=None)
    before = runner.invoke(main, ["analytics", "leads"])
    assert before.exit_code == 0, before.output
    assert "never: run `switchboard analytics refit`" in before.output
    assert runner.invoke(main, ["analytics", "refit"]).exit_code == 0

    listed = runner.invoke(main, ["analytics", "leads", "--limit", "3"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("4 open leads, scored by the refit at ")
    assert [line.split(",")[0] for line in lines[1:3]] == [
        "  Oona Owner: 3 open",
        "  no owner: 1 open",
    ]
    assert lines[-4] == "the first 3, best chance first:"
    chances = [float(line.split("%")[0]) for line in lines[-3:]]
    assert chances == sorted(chances, reverse=True)
    assert all("came by " in line and "(x" in line for line in lines[-3:])

    theirs = runner.invoke(main, ["analytics", "leads", "--owner", "OONA@x.test"])
    assert theirs.exit_code == 0, theirs.output
    assert theirs.output.splitlines()[0].startswith("3 open leads of OONA@x.test, scored")
    assert [
        line.split(", came by ")[1].split(";")[0] for line in theirs.output.splitlines()[2:]
    ] == [
        "web",
        "email",
        "sms",
    ], "the web lead first: the history wins most often on the web, least by SMS"

    nobody = runner.invoke(main, ["analytics", "leads", "--owner", "nobody@x.test"])
    assert (nobody.exit_code, nobody.output) == (
        1,
        "Error: no staff user has the email 'nobody@x.test'\n",
    )
