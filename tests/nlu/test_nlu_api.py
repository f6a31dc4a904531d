"""`POST /model/parse` on a tiny FastAPI app with a parser fake that records calls."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.api.nlu import nlu_router
from nlu import FALLBACK_INTENT, Entity, IntentScore, ParseResult


class RecordingParser:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def parse_async(self, text: str) -> ParseResult:
        self.asked.append(text)
        top = IntentScore("order_status", 0.97)
        return ParseResult(
            text,
            top,
            [top, IntentScore(FALLBACK_INTENT, 0.02)],
            [Entity("order_number", "4417", 18, 22, "SwitchboardBuiltin")],
        )


def client_for(parser: Any, token: str | None = None) -> TestClient:
    app = FastAPI()
    app.include_router(nlu_router(parser, token))
    return TestClient(app)


def test_parse_returns_rasa_shape() -> None:
    parser = RecordingParser()
    response = client_for(parser).post("/model/parse", json={"text": "where is my order 4417?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"text", "intent", "intent_ranking", "entities"}
    assert body["intent"] == {"name": "order_status", "confidence": 0.97}
    assert body["entities"][0] == {
        "entity": "order_number", "value": "4417", "start": 18, "end": 22,
        "confidence_entity": 1.0, "extractor": "SwitchboardBuiltin",
    }  # fmt: skip
    assert parser.asked == ["where is my order 4417?"]


def test_real_model_through_the_endpoint(support_model: Any) -> None:
    response = client_for(support_model).post(
        "/model/parse", json={"text": "where is my order 4417?"}
    )
    body = response.json()
    assert body["intent"]["name"] == "order_status"
    assert [(e["entity"], e["value"]) for e in body["entities"]] == [("order_number", "4417")]
    assert len(body["intent_ranking"]) == 10


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "   "}, {"message": "hi"}, [1]])
def test_empty_or_missing_text_is_422(body: Any) -> None:
    parser = RecordingParser()
    response = client_for(parser).post("/model/parse", json=body)
    assert response.status_code == 422
    assert parser.asked == []


def test_non_utf8_body_is_400_with_a_reason() -> None:
    response = client_for(RecordingParser()).post(
        "/model/parse",
        content=b'{"text": "caf\xe9"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]


def test_open_without_a_token() -> None:
    assert (
        client_for(RecordingParser()).post("/model/parse", json={"text": "hi"}).status_code == 200
    )


def test_token_required_when_configured() -> None:
    parser = RecordingParser()
    client = client_for(parser, token="s3cret")
    assert client.post("/model/parse", json={"text": "hi"}).status_code == 401
    assert client.post("/model/parse?token=wrong", json={"text": "hi"}).status_code == 401
    bad_bearer = {"Authorization": "Bearer nope"}
    assert client.post("/model/parse", json={"text": "hi"}, headers=bad_bearer).status_code == 401
    assert parser.asked == []
    assert client.post("/model/parse?token=s3cret", json={"text": "a"}).status_code == 200
    bearer = {"Authorization": "Bearer s3cret"}
    assert client.post("/model/parse", json={"text": "b"}, headers=bearer).status_code == 200
    assert parser.asked == ["a", "b"]
