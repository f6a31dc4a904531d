"""What a customer handed to a person is told of the team's hours, and the open days
the settings take."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from pydantic import ValidationError

from bot.business_hours import BusinessHours
from bot.settings import SupportSettings

SATURDAY_NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_outside_hours_the_customer_is_told_the_next_opening() -> None:
    hours = BusinessHours(opens=time(9), closes=time(17), weekdays=(0, 1, 2, 3, 4))
    assert hours.availability(SATURDAY_NOON) == (
        "Our team is away right now; a person will reply here when we open, Monday at 09:00 UTC."
    )


@pytest.mark.parametrize(
    ("zone", "told"),
    [
        ("America/New_York", "Monday at 09:00 EST"),
        ("Europe/Berlin", "Monday at 09:00 CET"),
        ("America/Sao_Paulo", "Monday at 09:00 UTC-03:00"),  # its abbreviation is "-03"
    ],
)
def test_the_opening_is_told_in_the_zones_short_name(zone: str, told: str) -> None:
    # A customer read "today at 09:00 (America/New_York)": a database key, not a time zone
    # as people write it (the widget says "EST" too).
    hours = BusinessHours(timezone=zone, opens=time(9), closes=time(17))
    assert hours.availability(SATURDAY_NOON).endswith(f"when we open, {told}.")


def test_a_team_with_no_open_day_is_away_without_a_time_to_name() -> None:
    # It raised "business hours have no open weekday" inside the handoff action.
    assert BusinessHours(weekdays=()).availability(SATURDAY_NOON) == (
        "Our team is away right now; a person will reply here as soon as they can."
    )


@pytest.mark.parametrize("day", [-1, 7])
def test_an_open_day_is_0_monday_to_6_sunday(day: int) -> None:
    with pytest.raises(ValidationError, match=r"weekdays\.1"):
        SupportSettings(weekdays=[0, day])
    assert SupportSettings(weekdays=[0, 6]).hours().weekdays == (0, 6)


def test_hours_that_close_before_they_open_are_refused_with_the_reason() -> None:
    # They had been taken, and the team was never open.
    with pytest.raises(ValidationError, match=r"CLOSES \(08:00\) is before .*OPENS \(20:00\)"):
        SupportSettings(opens=time(20), closes=time(8))
    assert SupportSettings(opens=time(9), closes=time(9)).hours().is_open(SATURDAY_NOON) is False


def test_a_day_with_hours_of_its_own() -> None:
    # The demo shop's team: 8 to 8 on weekdays, 9 to 5 on Saturdays, closed on Sundays.
    hours = SupportSettings(
        timezone="UTC", opens=time(8), closes=time(20), other_days="Sat 09:00-17:00"
    ).hours()
    assert hours.is_open(SATURDAY_NOON)
    assert not hours.is_open(datetime(2026, 11, 28, 18, 0, tzinfo=UTC))  # Saturday, 18:00
    saturday_7am = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert hours.next_opening(saturday_7am) == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    saturday_6pm = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    assert hours.next_opening(saturday_6pm) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert hours.span(6) is None and hours.span(0) == (time(8), time(20))


@pytest.mark.parametrize(
    ("days", "error"),
    [
        ("sat 9 till 5", r'\'sat 9 till 5\' is not a day and "HH:MM-HH:MM"'),
        ("sat 17:00-09:00", "'sat 17:00-09:00' does not open before it closes"),
        ("caturday 09:00-17:00", "'caturday' in 'caturday 09:00-17:00' is not a day"),
        # a range is not a day: the weekdays' hours are SUPPORT__OPENS and __CLOSES
        ("mon-fri 08:00-20:00", "'mon-fri' in 'mon-fri 08:00-20:00' is not a day"),
        ("saturn 09:00-17:00", "'saturn' in 'saturn 09:00-17:00' is not a day"),
        ("sat 09:00-09:00", "does not open before it closes"),
        ("sat 09:00+02:00-17:00", "the hours are in SUPPORT__TIMEZONE"),
        ("sat 09:00-17:00, Saturday 10:00-12:00", "Saturday is named twice"),
    ],
)
def test_a_days_hours_must_read_as_a_span_within_the_day(days: str, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        SupportSettings(other_days=days)


def test_other_days_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import Settings

    monkeypatch.setenv("SWITCHBOARD_SUPPORT__OTHER_DAYS", "sat 09:00-17:00, Sunday 10:00-14:00")
    hours = Settings().support.hours()
    assert (hours.span(5), hours.span(6)) == ((time(9), time(17)), (time(10), time(14)))


def test_a_day_of_its_own_wins_over_the_weekdays_hours() -> None:
    # Friday among the weekdays (8 to 8) and with hours of its own (8 to 4): 8 to 4. A
    # trailing comma and spaces are no entry.
    hours = SupportSettings(
        opens=time(8), closes=time(20), other_days=" friday 08:00-16:00, "
    ).hours()
    assert hours.span(4) == (time(8), time(16))
    assert not hours.is_open(datetime(2026, 11, 27, 17, 0, tzinfo=UTC))  # Friday 17:00
