"""The optional backend: parsing by a running Rasa server's `POST /model/parse`.

Rasa 3.6 needs Python 3.10 and SQLAlchemy < 2, so it runs as its own process and is
never a dependency of this package; this adapter only speaks its HTTP API.

The result has the local model's shape (nlu/result.py) where Rasa provides it: the
ranking with Rasa's confidences (its FallbackClassifier's `nlu_fallback` first, then up
to 10 intents), entities. Rasa gives no P(in scope), so `scope` is None and `to_rasa()`
has no `in_scope` key, unless the server is another Switchboard, which sends one."""

from __future__ import annotations

from typing import Any

import httpx

from nlu.entity import Entity
from nlu.errors import NluError
from nlu.result import FALLBACK_INTENT, RANKING_LENGTH, IntentScore, ParseResult, ScopeScore

__all__ = ["RasaBackendError", "RasaHttpParser", "result_from_rasa"]

_ENTITY_KEYS = {"entity", "value", "start", "end", "extractor", "confidence_entity"}


class RasaBackendError(NluError):
    """The Rasa server could not be reached or answered with something unusable."""


class RasaHttpParser:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout_seconds: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/model/parse"
        self._params = {"token": token} if token else {}
        self._client = client or httpx.AsyncClient(timeout=timeout_seconds)

    async def parse_async(self, text: str) -> ParseResult:
        try:
            response = await self._client.post(
                self.endpoint, json={"text": text}, params=self._params
            )
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaBackendError(f"Rasa at {self.endpoint} failed: {exc}") from exc
        return result_from_rasa(body)

    async def aclose(self) -> None:
        await self._client.aclose()


def result_from_rasa(body: dict[str, Any]) -> ParseResult:
    """A Rasa `/model/parse` answer as our `ParseResult` (round-trips `to_rasa()`)."""
    try:
        intent = IntentScore(body["intent"]["name"], float(body["intent"]["confidence"]))
        ranking = _top_intents(
            [
                IntentScore(row["name"], float(row["confidence"]))
                for row in body.get("intent_ranking") or []
            ]
        )
        entities = [
            Entity(
                row["entity"],
                row.get("value"),
                int(row.get("start", 0)),
                int(row.get("end", 0)),
                str(row.get("extractor", "rasa")),
                float(row.get("confidence_entity", 1.0)),
                {k: v for k, v in row.items() if k not in _ENTITY_KEYS},
            )
            for row in body.get("entities", [])
        ]
        scope = body.get("in_scope")
        in_scope = (
            ScopeScore(float(scope["probability"]), float(scope["threshold"]))
            if scope is not None
            else None
        )
        return ParseResult(str(body["text"]), intent, ranking or [intent], entities, in_scope)
    except (KeyError, TypeError, ValueError) as exc:
        raise RasaBackendError(f"unexpected Rasa answer: {exc!r}") from exc


def _top_intents(ranking: list[IntentScore]) -> list[IntentScore]:
    """The fallback, if Rasa put it in, and the first `RANKING_LENGTH` intents (a Rasa
    server configured with `ranking_length: 0` sends every intent)."""
    kept: list[IntentScore] = []
    intents = 0
    for score in ranking:
        if score.name != FALLBACK_INTENT:
            if intents == RANKING_LENGTH:
                continue
            intents += 1
        kept.append(score)
    return kept
