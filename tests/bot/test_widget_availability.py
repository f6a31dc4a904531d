"""GET /api/v1/webchat/availability: whether people answer now, from business hours."""

from __future__ import annotations

from datetime import time

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.business_hours import BusinessHours
from bot.wiring.web import availability_of
from channels.web import SessionHub, SessionSigner, webchat_router

ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)


def availability(hours: BusinessHours) -> dict[str, object]:
    app = FastAPI()
    app.include_router(
        webchat_router(
            intake=None,  # type: ignore[arg-type]  # not reached by this route
            feed=None,  # type: ignore[arg-type]
            signer=SessionSigner("s" * 40, max_age_seconds=60),
            hub=SessionHub(),
            max_text_length=1000,
            availability=availability_of(hours),
        )
    )
    response = TestClient(app).get("/api/v1/webchat/availability")
    assert response.status_code == 200
    return response.json()


def test_in_hours_people_are_available() -> None:
    always = BusinessHours(opens=time(0, 0), closes=time(23, 59, 59, 999999), weekdays=ALL_WEEK)
    assert availability(always)["people_available"] is True


def test_outside_hours_it_tells_when_people_are_back() -> None:
    never_now = BusinessHours(
        timezone="Europe/Berlin", opens=time(9, 0), closes=time(9, 0), weekdays=ALL_WEEK
    )
    body = availability(never_now)
    assert body["people_available"] is False
    assert str(body["people_back"]).endswith(" 09:00")
    assert body["timezone"] == "Europe/Berlin"


def test_without_any_open_day_people_are_away_with_no_return() -> None:
    body = availability(BusinessHours(weekdays=()))
    assert body == {"people_available": False, "people_back": None, "timezone": None}
