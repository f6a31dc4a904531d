"""The whole bot through the web chat API: NLU routes, the knowledge base answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from crm_store import history
from knowledge.embeddings import SentenceEncoder


@pytest.fixture
def client(settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, encoder=encoder)) as client:
        yield client


def ask(client: TestClient, text: str) -> dict[str, Any]:
    token = client.post("/api/v1/webchat/sessions", json={"name": "Ada"}).json()["token"]
    response = client.post(
        "/api/v1/webchat/messages",
        headers={"Authorization": f"Bearer {token}"},
        json={"client_message_id": "1", "text": text},
    )
    assert response.status_code == 200
    return response.json()


def stored(client: TestClient, conversation_id: int) -> list[Any]:
    database = client.app.state.services.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        return history.messages_after(session, conversation_id, 0)


def test_an_order_question_is_routed_with_its_number_and_both_sides_are_stored(
    client: TestClient,
) -> None:
    body = ask(client, "where is my order 4417?")
    question, reply = stored(client, body["conversation_id"])

    assert question.intent == "order_status" and question.confidence is not None
    assert [(e["entity"], e["value"]) for e in question.attributes["entities"]] == [
        ("order_number", "4417")
    ]
    assert reply.intent == "order_status"
    assert reply.text.startswith("I can't look up order 4417 from this chat")
    assert reply.sources and reply.sources[0]["source"].startswith("https://")


def test_a_help_question_is_answered_from_the_knowledge_base_with_its_source(
    client: TestClient,
) -> None:
    body = ask(client, "how long do refunds take?")
    (reply,) = body["replies"]
    assert "5 business days" in reply["text"]
    assert "_Source: [Refunds" in reply["text"]  # web chat gets short Markdown
    _, logged = stored(client, body["conversation_id"])
    assert logged.intent == "knowledge_question"
    assert logged.sources[0]["title"].startswith("Refunds")


def test_out_of_scope_gets_an_honest_fallback_and_the_passages_tried(
    client: TestClient,
) -> None:
    body = ask(client, "what is the capital of Peru?")
    (reply,) = body["replies"]
    assert reply["text"].startswith("I'm not sure I have a good answer to that.")
    question, logged = stored(client, body["conversation_id"])
    assert question.intent == "nlu_fallback"
    assert logged.intent == "nlu_fallback"
    assert logged.confidence is not None and logged.confidence < 0.54
    assert len(logged.sources) >= 1  # what was tried, for the agent


def test_model_parse_answers_in_rasa_shape(client: TestClient) -> None:
    parsed = client.post("/model/parse", json={"text": "where is my order 4417?"}).json()
    assert parsed["intent"]["name"] == "order_status"
    assert {"text", "intent", "intent_ranking", "entities"} <= set(parsed)
    assert parsed["entities"][0]["entity"] == "order_number"
    assert client.post("/model/parse", json={"text": ""}).status_code == 422
