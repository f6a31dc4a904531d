"""Drives the cases through the web chat API as a visitor would, and reads what the bot
stored for each reply straight from the store (the route is not part of the widget's
API; an agent's tools and this evaluation read the same interaction record).

The client is any `httpx.Client` pointed at a Switchboard app: a real server process
(bench/dialogue_eval.py) or FastAPI's TestClient (the slice in the test suite).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

from channels.web.identity import identity_hash
from crm_store import Database
from crm_store.history import messages_after
from crm_store.records import InteractionRecord
from demo.dialogue_eval.cases import VISITORS, Conversation, Expectation, Single
from demo.dialogue_eval.judge import Verdict, judge
from demo.dialogue_eval.outcome import Outcome, outcome_of

API = "/api/v1/webchat"


class EvaluationError(RuntimeError):
    """The app refused a visitor's request: the run stops rather than judge a gap."""


@dataclass(frozen=True, slots=True)
class MessageResult:
    text: str
    expect: Expectation | None
    outcome: Outcome
    verdict: Verdict | None  # None for a turn without an expectation


@dataclass(frozen=True, slots=True)
class CaseResult:
    case_id: str
    case_class: str  # articles, actions, fallback, multi_turn
    split: str
    messages: tuple[MessageResult, ...]

    @property
    def passed(self) -> bool:
        return all(m.verdict.passed for m in self.messages if m.verdict is not None)

    @property
    def legacy(self) -> bool:
        return any(m.outcome.legacy for m in self.messages)


class StoredReplies:
    """The bot's replies as the store holds them (with their route and sources)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def replies(self, conversation_id: int, seqs: list[int]) -> list[InteractionRecord]:
        if not seqs:
            return []
        with self._database.transaction() as session:
            stored = messages_after(session, conversation_id, min(seqs) - 1, limit=50)
        return [record for record in stored if record.seq in seqs]


class EvaluationDriver:
    def __init__(
        self, client: httpx.Client, store: StoredReplies, identity_secret: str | None
    ) -> None:
        self._client = client
        self._store = store
        self._identity_secret = identity_secret
        self._ids = itertools.count(1)

    def run_single(self, single: Single) -> CaseResult:
        token = self._session(single.visitor)
        result = self._message(token, single.text, single.expect)
        return CaseResult(single.id, single.case_class, single.split, (result,))

    def run_conversation(self, conversation: Conversation) -> CaseResult:
        token = self._session(conversation.visitor)
        results = tuple(self._message(token, t.say, t.expect) for t in conversation.turns)
        return CaseResult(conversation.id, "multi_turn", conversation.split, results)

    def _session(self, visitor: str) -> str:
        email = VISITORS[visitor]
        body: dict[str, str] = {}
        if email is not None:
            if self._identity_secret is None:
                raise EvaluationError(f"visitor {visitor} needs the server's identity secret")
            body = {
                "identifier": email,
                "identifier_hash": identity_hash(self._identity_secret, email),
            }
        response = self._client.post(f"{API}/sessions", json=body)
        if response.status_code != 200:
            raise EvaluationError(f"session refused: {response.status_code} {response.text}")
        return str(response.json()["token"])

    def _message(self, token: str, text: str, expect: Expectation | None) -> MessageResult:
        response = self._client.post(
            f"{API}/messages",
            headers={"Authorization": f"Bearer {token}"},
            json={"client_message_id": f"eval-{next(self._ids)}", "text": text},
        )
        if response.status_code != 200:
            raise EvaluationError(
                f"message {text!r} refused: {response.status_code} {response.text}"
            )
        body = response.json()
        seqs = [int(reply["seq"]) for reply in body["replies"]]
        outcome = outcome_of(self._store.replies(int(body["conversation_id"]), seqs))
        return MessageResult(
            text, expect, outcome, None if expect is None else judge(expect, outcome)
        )
