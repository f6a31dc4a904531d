"""`POST /model/parse` in the real app: closed in production until a token is set, rate
limited per client address, and deep JSON refused with 400 before it is parsed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Rate, RateLimitSettings, Settings, WebChatSettings
from knowledge.embeddings import SentenceEncoder
from tests.support.manual_clock import ManualClock

URL = "/model/parse"
QUESTION = {"text": "where is my order 4417?"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def serve(encoder: SentenceEncoder, clock: ManualClock) -> Iterator[Any]:
    """A factory: settings -> a client of the real app on them (closed afterwards)."""
    apps: list[Any] = []

    def client_for(settings: Settings) -> TestClient:
        app = create_app(settings, encoder=encoder, clock=clock)
        apps.append(app)
        return TestClient(app, client=("203.0.113.7", 40000))

    yield client_for
    for app in apps:
        app.state.services.close()


def production(settings: Settings, **changes: Any) -> Settings:
    return Settings(
        **{
            **settings.model_dump(),
            "environment": "production",
            "webchat": WebChatSettings(secret_key="s" * 40),  # type: ignore[arg-type]
            **changes,
        }
    )


def test_development_without_a_token_stays_open(serve: Any, sqlite_settings: Settings) -> None:
    response = serve(sqlite_settings).post(URL, json=QUESTION)
    assert response.status_code == 200
    assert response.json()["intent"]["name"] == "order_status"


def test_production_without_a_token_is_closed_and_says_which_setting_opens_it(
    serve: Any, sqlite_settings: Settings
) -> None:
    response = serve(production(sqlite_settings)).post(URL, json=QUESTION)
    assert response.status_code == 401
    assert "SWITCHBOARD_NLU__API_TOKEN" in response.json()["error"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_production_with_a_token_takes_it(serve: Any, sqlite_settings: Settings) -> None:
    nlu = {**sqlite_settings.nlu.model_dump(), "api_token": "nlu-token"}
    client = serve(production(sqlite_settings, nlu=nlu))
    assert client.post(URL, json=QUESTION).status_code == 401
    assert client.post(URL + "?token=nlu-token", json=QUESTION).status_code == 200


def test_parse_requests_are_limited_per_client_address(
    serve: Any, sqlite_settings: Settings, clock: ManualClock
) -> None:
    settings = sqlite_settings.model_copy(
        update={"rate_limits": RateLimitSettings(nlu_parse=Rate(per_minute=6, burst=3))}
    )
    client = serve(settings)
    assert [client.post(URL, json=QUESTION).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.post(URL, json=QUESTION)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "10"
    assert refused.json()["error"] == (
        "too many /model/parse requests from this address: try again in 10 s"
    )
    clock.advance(10)
    assert client.post(URL, json=QUESTION).status_code == 200


def test_deep_json_is_a_400_not_a_500(serve: Any, sqlite_settings: Settings) -> None:
    deep = '{"text": ' + "[" * 1000 + "]" * 1000 + "}"
    response = serve(sqlite_settings).post(URL, content=deep)
    assert response.status_code == 400
    assert response.json()["error"] == "JSON is nested deeper than 32 levels"
