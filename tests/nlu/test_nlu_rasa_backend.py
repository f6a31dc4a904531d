"""The Rasa backend adapter against a stand-in Rasa server (httpx MockTransport)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from nlu import FALLBACK_INTENT
from nlu.rasa_backend import RasaBackendError, RasaHttpParser, result_from_rasa

RASA_ANSWER = {
    "text": "where is my order 4417?",
    "intent": {"name": "order_status", "confidence": 0.93},
    "intent_ranking": [
        {"name": "order_status", "confidence": 0.93},
        {"name": "ticket_status", "confidence": 0.05},
    ],
    "entities": [
        {
            "entity": "order_number", "value": "4417", "start": 18, "end": 22,
            "confidence_entity": 0.99, "extractor": "DIETClassifier",
            "processors": ["EntitySynonymMapper"],
        }
    ],
}  # fmt: skip


def test_parse_goes_to_rasa_and_round_trips() -> None:
    seen: list[httpx.Request] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=RASA_ANSWER)

    client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
    parser = RasaHttpParser("http://rasa:5005/", token="t0k", client=client)
    result = asyncio.run(parser.parse_async("where is my order 4417?"))

    assert result.to_rasa() == RASA_ANSWER
    assert str(seen[0].url) == "http://rasa:5005/model/parse?token=t0k"
    assert json.loads(seen[0].content) == {"text": "where is my order 4417?"}


@pytest.mark.parametrize(
    "response",
    [httpx.Response(500, text="boom"), httpx.Response(200, json={"unexpected": True})],
)
def test_rasa_failures_become_backend_errors(response: httpx.Response) -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _request: response))
    parser = RasaHttpParser("http://rasa:5005", client=client)
    with pytest.raises(RasaBackendError):
        asyncio.run(parser.parse_async("hi"))


def test_rasa_has_no_in_scope_probability_and_keeps_ten_intents_behind_its_fallback() -> None:
    ranking = [{"name": FALLBACK_INTENT, "confidence": 0.7}] + [
        {"name": f"intent_{i}", "confidence": 0.3 / (i + 1)} for i in range(30)
    ]  # a Rasa server with ranking_length: 0 sends every intent
    body = {**RASA_ANSWER, "intent": ranking[0], "intent_ranking": ranking}
    parsed = result_from_rasa(body).to_rasa()
    assert "in_scope" not in parsed
    assert [row["name"] for row in parsed["intent_ranking"]] == [
        FALLBACK_INTENT,
        *[f"intent_{i}" for i in range(10)],
    ]


def test_a_switchboard_peer_s_in_scope_probability_round_trips() -> None:
    body = {**RASA_ANSWER, "in_scope": {"probability": 0.91, "threshold": 0.17}}
    result = result_from_rasa(body)
    assert result.scope is not None and result.scope.in_scope
    assert result.to_rasa() == body
