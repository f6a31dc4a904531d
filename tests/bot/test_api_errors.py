"""The API's 422 for a request body: a field's reason names the field; a body that is
not JSON says so, where, and what the parser found, not "body.70: JSON decode error"."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from bot.api.errors import install_error_handlers


class _Segment(BaseModel):
    name: str
    size: int


def _client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/segments")
    def save(segment: _Segment) -> dict[str, str]:
        return {"name": segment.name}

    return TestClient(app)


def test_a_body_that_is_not_json_says_so_with_where_and_what() -> None:
    answer = _client().post(
        "/segments",
        content=b'{"name": "x", "size": 2',  # the closing brace forgotten
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == (
        "the body is not valid JSON at character 23: Expecting ',' delimiter"
    )
    assert answer.json()["detail"][0]["type"] == "json_invalid"


def test_a_field_error_still_names_the_field() -> None:
    answer = _client().post("/segments", json={"name": "x", "size": "two"})
    assert answer.status_code == 422
    assert answer.json()["error"].startswith("body.size: ")


def test_a_body_that_is_not_utf8_says_which_byte() -> None:
    answer = _client().post(
        "/segments",
        content=b'{"name": "caf\xe9", "size": 2}',  # Latin-1, not UTF-8
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert (
        answer.json()["error"] == "the body is not valid UTF-8 (byte 13: invalid continuation byte)"
    )
