"""The demo's support history is worked in the demo shop's hours, the ones `make run`
serves (the Makefile's DEMO_HOURS) and its help centre states: the dashboard reads the
demo's waits in those hours, so agents working other hours made its business-hours
figures 0 s."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from demo.support_history import CLOSES, OPENS, SATURDAY, SHOP_ZONE, _next_opening

MAKEFILE = Path(__file__).parents[2] / "Makefile"


def test_make_run_serves_the_hours_the_demo_agents_work() -> None:
    served = dict(
        re.findall(r"SWITCHBOARD_SUPPORT__(\w+)=\$\$\{\w+:?-([^}]+)\}", MAKEFILE.read_text())
    )
    assert served == {
        "TIMEZONE": SHOP_ZONE.key,
        "OPENS": OPENS.strftime("%H:%M"),
        "CLOSES": CLOSES.strftime("%H:%M"),
        "OTHER_DAYS": SATURDAY,
    }


def test_a_handoff_waits_for_new_york_to_open() -> None:
    tuesday_5am_in_new_york = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert _next_opening(tuesday_5am_in_new_york) == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    tuesday_noon_in_new_york = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    assert _next_opening(tuesday_noon_in_new_york) == tuesday_noon_in_new_york
    friday_9pm_in_new_york = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    saturday_9am_in_new_york = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    assert _next_opening(friday_9pm_in_new_york) == saturday_9am_in_new_york
    saturday_6pm_in_new_york = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert _next_opening(saturday_6pm_in_new_york) == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    # Summer time: 8:00 in New York is 12:00 UTC (Sunday 5 July to Monday 6 July).
    assert _next_opening(datetime(2026, 7, 5, 12, 0, tzinfo=UTC)) == datetime(
        2026, 7, 6, 12, 0, tzinfo=UTC
    )
