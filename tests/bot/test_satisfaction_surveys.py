"""Satisfaction surveys through the real app: asked after each resolution (an agent's
through the staff API, or the bot's after an answer the customer left), once per care
cycle, not again within the customer's cooldown; a digit answers it without reopening
the conversation, credited to whoever resolved it, in the event log and the report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.conversation.bot_resolution import BotResolver
from bot.settings import DatabaseSettings, Settings, SupportSettings, SurveySettings
from bot.surveys import THANKS, SurveyPolicy
from crm_store import handoffs, staff, surveys
from crm_store.base import utcnow
from crm_store.models import Conversation, LoggedEvent, SatisfactionSurvey
from tests.support.app import services
from tests.support.fakes import ScriptedDialogue
from tests.support.webchat import Visitor

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

QUESTION = "How did we do? Rate this conversation from 1 (poor) to 5 (great)."


@dataclass(frozen=True)
class Rated:
    cycle: int
    score: int | None
    comment: str | None
    staff_id: int | None
    resolved_by: str


@dataclass
class Desk:
    client: TestClient
    agent: dict[str, str]
    agent_id: int
    dialogue: ScriptedDialogue

    def hand_off(self, conversation_id: int) -> int:
        with services(self.client).database.transaction() as session:
            customer_id = session.get_one(Conversation, conversation_id).customer_id
            handoff, _ = handoffs.open_handoff(
                session,
                conversation_id=conversation_id,
                customer_id=customer_id,
                reason="customer_asked",
                intent=None,
                confidence=None,
                summary="",
            )
        return handoff.id

    def resolve_by_agent(self, conversation_id: int) -> None:
        handoff_id = self.hand_off(conversation_id)
        for action in ("claim", "resolve"):
            answer = self.client.post(f"/api/v1/handoffs/{handoff_id}/{action}", headers=self.agent)
            assert answer.status_code == 200, answer.text

    def surveys(self) -> list[Rated]:
        with services(self.client).database.transaction() as session:
            return [
                Rated(row.cycle, row.score, row.comment, row.staff_id, row.resolved_by)
                for row in session.scalars(
                    select(SatisfactionSurvey).order_by(SatisfactionSurvey.id)
                )
            ]

    def events(self, kind: str) -> list[tuple[str, int | None, int | None]]:
        with services(self.client).database.transaction() as session:
            return [
                (row.actor, row.cycle, row.staff_id)
                for row in session.scalars(
                    select(LoggedEvent).where(LoggedEvent.type == kind).order_by(LoggedEvent.id)
                )
            ]


def _desk(tmp_path: Path, database_url: str, cooldown_days: float) -> Iterator[Desk]:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=database_url, auto_migrate=True),
        surveys=SurveySettings(cooldown_days=cooldown_days),
        support=SupportSettings(bot_resolves_after_minutes=0),  # resolved by hand below
    )
    dialogue = ScriptedDialogue(
        replies=["Refunds take 5 days."], attributes={"route": {"decision": "answer"}}
    )
    with TestClient(create_app(settings, dialogue=dialogue)) as client:
        with services(client).database.transaction() as session:
            agent, token = staff.create_staff(
                session, name="Sam Carter", email="sam@acme.test", role="agent"
            )
        yield Desk(client, {"Authorization": f"Bearer {token}"}, agent.id, dialogue)


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[Desk]:
    yield from _desk(tmp_path, database_url, cooldown_days=0)


@pytest.fixture
def desk_with_cooldown(tmp_path: Path, database_url: str) -> Iterator[Desk]:
    yield from _desk(tmp_path, database_url, cooldown_days=14)


def test_an_agents_resolution_is_rated_once_and_credited_to_the_agent(desk: Desk) -> None:
    visitor = Visitor(desk.client)
    visitor.say("how long do refunds take?")
    assert visitor.conversation_id is not None
    desk.resolve_by_agent(visitor.conversation_id)
    assert visitor.transcript()[-1] == ("system", QUESTION)

    assert visitor.say("5 - quick and kind") == [THANKS]
    assert len(desk.dialogue.turns) == 1  # the rating never reached the dialogue
    (survey,) = desk.surveys()
    assert (survey.score, survey.comment, survey.staff_id, survey.resolved_by) == (
        5,
        "quick and kind",
        desk.agent_id,
        "agent",
    )
    assert desk.events("survey.answered") == [("customer", 1, desk.agent_id)]
    assert desk.events("conversation.reopened") == []  # the rating did not reopen it

    assert visitor.say("4") == ["Refunds take 5 days."]  # answered already: a message again
    assert desk.events("conversation.reopened") == [("customer", 2, None)]


def test_each_resolution_cycle_is_asked_once(desk: Desk) -> None:
    visitor = Visitor(desk.client)
    visitor.say("how long do refunds take?")
    assert visitor.conversation_id is not None
    desk.resolve_by_agent(visitor.conversation_id)
    visitor.say("and returns?")  # reopens: care cycle 2
    desk.resolve_by_agent(visitor.conversation_id)
    assert [(s.cycle, s.score) for s in desk.surveys()] == [(1, None), (2, None)]
    with services(desk.client).database.transaction() as session:  # cycle 2, asked again
        again = surveys.ask(session, visitor.conversation_id, cooldown=timedelta(0))
    assert again is None
    assert len(desk.surveys()) == 2


def test_a_customer_is_not_asked_again_within_the_cooldown(desk_with_cooldown: Desk) -> None:
    desk = desk_with_cooldown
    visitor = Visitor(desk.client)
    visitor.say("how long do refunds take?")
    assert visitor.conversation_id is not None
    desk.resolve_by_agent(visitor.conversation_id)
    visitor.say("and returns?")
    desk.resolve_by_agent(visitor.conversation_id)
    assert [s.cycle for s in desk.surveys()] == [1]
    assert [text for _, text in visitor.transcript()].count(QUESTION) == 1
    with services(desk.client).database.transaction() as session:
        later = surveys.ask(
            session,
            visitor.conversation_id,
            cooldown=timedelta(days=14),
            now=utcnow() + timedelta(days=15),
        )
    assert later is not None and later.cycle == 2  # after the cooldown the cycle is asked


def test_the_bot_resolves_an_answer_the_customer_left_and_asks(desk: Desk) -> None:
    visitor = Visitor(desk.client)
    visitor.say("how long do refunds take?")
    database = services(desk.client).database
    resolver = BotResolver(
        database,
        idle=timedelta(minutes=60),
        surveys=SurveyPolicy(),
        clock=lambda: utcnow() + timedelta(minutes=61),
    )
    assert resolver.resolve_idle() == 1
    assert resolver.resolve_idle() == 0
    assert desk.events("conversation.resolved") == [("bot", 1, None)]
    assert visitor.transcript()[-1] == ("system", QUESTION)
    assert visitor.say("4") == [THANKS]
    (survey,) = desk.surveys()
    assert (survey.score, survey.resolved_by, survey.staff_id) == (4, "bot", None)
    today = utcnow().date().isoformat()
    answer = desk.client.get(f"/api/v1/reports/support?from={today}&to={today}", headers=desk.agent)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["bot_resolution"] | {"definition": ""} == {
        "rate": 1.0,
        "resolved_by_bot": 1,
        "denominator": 1,
        "definition": "",
    }
    assert report["satisfaction"]["score"] == 1.0


def test_the_bot_does_not_resolve_a_fallback(desk: Desk) -> None:
    desk.dialogue.attributes = {"route": {"decision": "fallback"}}
    Visitor(desk.client).say("what is the capital of Peru?")
    resolver = BotResolver(
        services(desk.client).database,
        idle=timedelta(minutes=60),
        surveys=SurveyPolicy(),
        clock=lambda: utcnow() + timedelta(minutes=61),
    )
    assert resolver.resolve_idle() == 0
    assert desk.surveys() == []
