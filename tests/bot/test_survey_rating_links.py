"""Satisfaction surveys by email carry a signed link per score, 1 to 5, that opens a
page served by Switchboard; through the real app and HTTP route: a GET (a mail
scanner) records nothing, the POST records the rating once per care cycle credited to
the agent who resolved it, the other links are spent with it, a forged link is
refused, and a conversation reopened since closes the survey."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.settings import DatabaseSettings, Settings, SupportSettings, SurveySettings
from bot.surveys.links import SurveyLinks
from crm_store import customers, handoffs, history, staff
from crm_store.models import Interaction, LoggedEvent, SatisfactionSurvey
from crm_store.records import NewInteraction
from tests.support.app import services
from tests.support.fakes import ScriptedDialogue

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

BASE = "https://support.example.com"
LINK = re.compile(r"^([1-5]) \(([a-z ]+)\): " + re.escape(BASE) + r"(/survey\?t=\S+)$", re.M)


class EmailDesk:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.database = services(client).database
        with self.database.transaction() as session:
            agent, token = staff.create_staff(
                session, name="Sam Carter", email="sam@acme.test", role="agent"
            )
        self.agent_id = agent.id
        self.agent = {"Authorization": f"Bearer {token}"}

    def customer_writes(self, text: str) -> int:
        with self.database.transaction() as session:
            customer, identity = customers.resolve_identity(
                session, "email", "ada@example.com", name="Ada Lovelace"
            )
            conversation = history.current_conversation(
                session, customer_id=customer.id, identity_id=identity.id, channel="email"
            )
            history.append(session, conversation, NewInteraction("in", "customer", text))
            return conversation.id

    def agent_resolves(self, conversation_id: int) -> None:
        with self.database.transaction() as session:
            conversation = history.get_conversation(session, conversation_id)
            assert conversation is not None
            handoff, _ = handoffs.open_handoff(
                session,
                conversation_id=conversation_id,
                customer_id=conversation.customer_id,
                reason="customer_asked",
                intent=None,
                confidence=None,
                summary="",
            )
        for action in ("claim", "resolve"):
            answer = self.client.post(f"/api/v1/handoffs/{handoff.id}/{action}", headers=self.agent)
            assert answer.status_code == 200, answer.text

    def links(self) -> dict[int, str]:
        """The rating links of the newest survey question, by score."""
        with self.database.transaction() as session:
            question = session.scalars(
                select(Interaction)
                .where(Interaction.attributes["survey_id"].is_not(None))
                .order_by(Interaction.id.desc())
            ).first()
            assert question is not None
            text = question.text
        assert text.startswith("How did we do? Reply to this mail with a number")
        return {int(score): path for score, _, path in LINK.findall(text)}

    def survey(self) -> tuple[int | None, str | None, int | None, str]:
        with self.database.transaction() as session:
            row = session.scalars(
                select(SatisfactionSurvey).order_by(SatisfactionSurvey.id.desc())
            ).first()
            assert row is not None
            return row.score, row.comment, row.staff_id, row.resolved_by

    def answered_events(self) -> int:
        with self.database.transaction() as session:
            return len(
                session.scalars(
                    select(LoggedEvent).where(LoggedEvent.type == "survey.answered")
                ).all()
            )


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[EmailDesk]:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=database_url, auto_migrate=True),
        public_base_url=BASE,
        surveys=SurveySettings(cooldown_days=0),
        support=SupportSettings(bot_resolves_after_minutes=0),
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue(replies=["Sure."]))) as client:
        yield EmailDesk(client)


def test_a_link_records_its_rating_once_credited_to_the_agent(desk: EmailDesk) -> None:
    conversation_id = desk.customer_writes("Where is my parcel?")
    desk.agent_resolves(conversation_id)
    links = desk.links()
    assert sorted(links) == [1, 2, 3, 4, 5]

    page = desk.client.get(links[4])  # what a mail scanner does
    assert page.status_code == 200 and "4 of 5" in page.text and "<script" not in page.text
    assert desk.survey() == (None, None, desk.agent_id, "agent")  # nothing recorded

    forged = links[4][:-3] + ("abc" if not links[4].endswith("abc") else "xyz")
    assert desk.client.post(forged).status_code == 403
    # Cut short before its token (a mail client broke the line): a page in words.
    for cut in (desk.client.get("/survey"), desk.client.post("/survey?t=")):
        assert cut.status_code == 400 and cut.headers["content-type"].startswith("text/html")
        assert "This rating link is incomplete." in cut.text
        assert "answer the email with a number from 1 to 5" in cut.text
    assert desk.survey() == (None, None, desk.agent_id, "agent")  # nothing recorded

    done = desk.client.post(
        links[4],
        content="comment=Quick+and+kind",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "Thank you" in done.text
    assert desk.survey() == (4, "Quick and kind", desk.agent_id, "agent")
    assert desk.answered_events() == 1

    assert desk.client.post(links[4]).status_code == 409  # the same link again
    assert desk.client.post(links[1]).status_code == 409  # the other links are spent
    assert desk.client.get(links[2]).status_code == 409
    assert desk.survey()[0] == 4 and desk.answered_events() == 1


def test_a_conversation_reopened_since_closes_the_survey(desk: EmailDesk) -> None:
    conversation_id = desk.customer_writes("Where is my parcel?")
    desk.agent_resolves(conversation_id)
    first = desk.links()
    desk.customer_writes("It still has not come")  # reopens: care cycle 2
    assert desk.client.post(first[5]).status_code == 410
    desk.agent_resolves(conversation_id)  # cycle 2 is asked again, with its own links
    second = desk.links()
    assert second[5] != first[5]
    assert desk.client.post(second[5]).status_code == 200
    assert desk.survey()[0] == 5


def test_a_link_names_its_survey_and_score_and_cannot_be_altered() -> None:
    links = SurveyLinks("secret")
    token = links.token(7, 3)
    assert links.read(token) == (7, 3)
    assert links.read(SurveyLinks("secret").token(7, 6)) is None  # no such score
    assert SurveyLinks("another secret").read(token) is None
    assert links.read(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
