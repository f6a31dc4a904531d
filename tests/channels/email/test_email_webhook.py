"""POST /webhooks/email/inbound through the real app: token, size limit, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import DatabaseSettings, EmailSettings, Settings
from crm_store import history, tickets
from crm_store.models import Interaction
from tests.support.fakes import RecordingAgentDesk, ScriptedDialogue
from tests.support.mail import mail

TOKEN = "relay-token-for-tests-0123456789abcdef"
URL = "/webhooks/email/inbound"


def settings(tmp_path: Path, **email: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'mail.db'}", auto_migrate=True),
        email=EmailSettings(from_address="support@acme.test", **email),  # type: ignore[arg-type]
    )


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings(tmp_path, inbound_token=TOKEN, max_message_bytes=200_000),
        dialogue=ScriptedDialogue(),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sb") as http:
        http.app = app  # type: ignore[attr-defined]
        yield http
    app.state.services.close()


def stored(client: httpx.AsyncClient) -> int:
    database = client.app.state.services.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Interaction)) or 0


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"}


async def test_a_relayed_mail_is_stored_and_answered_once(client: httpx.AsyncClient) -> None:
    raw = mail("How long do refunds take?", message_id="<relay1@example.com>").as_bytes()
    first = await client.post(URL, content=raw, headers=bearer())
    again = await client.post(URL, content=raw, headers=bearer())
    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["message_id"] == "<relay1@example.com>"
    assert first.json()["duplicate"] is False and first.json()["answered"] is True
    assert again.json()["duplicate"] is True
    assert again.json()["conversation_id"] == first.json()["conversation_id"]
    assert stored(client) == 2


@pytest.mark.parametrize("headers", [{}, bearer("wrong-token"), {"Authorization": "Basic eDp5"}])
async def test_a_missing_or_wrong_token_gets_401_and_stores_nothing(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(URL, content=mail("hello").as_bytes(), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] in ("missing bearer token", "wrong token")
    assert stored(client) == 0


async def test_a_mail_bigger_than_the_json_limit_but_within_the_mail_limit_is_taken(
    client: httpx.AsyncClient,
) -> None:
    message = mail("See the attached photo of the damage.")
    message.add_attachment(b"x" * 120_000, maintype="image", subtype="jpeg", filename="dent.jpg")
    response = await client.post(URL, content=message.as_bytes(), headers=bearer())
    assert response.status_code == 200, response.text
    # The rest of the API keeps its 64 KiB limit.
    big_json = await client.post("/api/v1/webchat/sessions", content=b"{" + b" " * 70_000 + b"}")
    assert big_json.status_code == 413


def replies(client: httpx.AsyncClient) -> list[str]:
    database = client.app.state.services.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        found = session.scalars(select(Interaction.text).where(Interaction.author == "bot"))
        return list(found)


async def test_a_mail_over_the_limit_gets_413_and_its_sender_is_told(
    client: httpx.AsyncClient,
) -> None:
    """It used to get the 413 alone: the relay knew, the sender never heard, and nothing
    was kept. Its header is taken in, the sender told once, and the relay still gets
    413 (the mail was not taken whole) saying so."""
    message = mail("huge", message_id="<huge@example.com>")
    message.add_attachment(b"x" * 300_000, maintype="application", subtype="zip", filename="a.zip")
    response = await client.post(URL, content=message.as_bytes(), headers=bearer())
    assert response.status_code == 413
    assert response.json()["error"] == (
        "request body is larger than 200000 bytes: its header was taken in and its sender was told"
    )
    assert response.json()["message_id"] == "<huge@example.com>"
    [told] = replies(client)
    assert told.startswith("Your mail (396 KB) was over the 195 KB we can take by email")
    assert "send it again with smaller attachments" in told
    again = await client.post(URL, content=message.as_bytes(), headers=bearer())
    assert again.status_code == 413 and again.json()["duplicate"] is True
    assert replies(client) == [told]  # told once
    # Without the token, an oversized mail is refused like any other: nothing is kept.
    forged = await client.post(URL, content=message.as_bytes(), headers=bearer("wrong"))
    assert forged.status_code == 401
    assert stored(client) == 2


async def test_an_oversized_auto_reply_is_kept_but_not_answered(client: httpx.AsyncClient) -> None:
    message = mail("Out of office", headers={"Auto-Submitted": "auto-replied"})
    message.add_attachment(b"x" * 300_000, maintype="application", subtype="zip", filename="a.zip")
    response = await client.post(URL, content=message.as_bytes(), headers=bearer())
    assert response.status_code == 413
    assert response.json()["error"].endswith(
        "its sender was not told (auto-submitted: auto-replied)"
    )
    assert replies(client) == [] and stored(client) == 1


async def test_an_oversized_body_with_no_readable_header_gets_413_alone(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(URL, content=b"x" * 300_000, headers=bearer())
    assert response.status_code == 413
    assert "so its sender was not told" in response.json()["error"]
    assert stored(client) == 0


@pytest.mark.parametrize(
    "body", [b"", b"just some text, not a mail", b"Subject: hi\r\n\r\nno sender"]
)
async def test_a_body_that_is_not_a_mail_gets_422_with_a_reason(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(URL, content=body, headers=bearer())
    assert response.status_code == 422
    assert response.json()["error"].startswith("not a mail we can take in:")
    assert stored(client) == 0


async def test_an_auto_reply_through_the_webhook_is_logged_without_an_answer(
    client: httpx.AsyncClient,
) -> None:
    raw = mail("Out of office", headers={"Auto-Submitted": "auto-replied"}).as_bytes()
    response = await client.post(URL, content=raw, headers=bearer())
    assert response.status_code == 200
    assert response.json()["answered"] is False
    assert response.json()["no_reply_reason"] == "auto-submitted: auto-replied"
    assert stored(client) == 1


async def test_a_mail_over_the_reply_cap_says_why_it_was_not_answered(tmp_path: Path) -> None:
    desk = RecordingAgentDesk()
    app = create_app(
        settings(tmp_path, inbound_token=TOKEN, max_replies_per_hour=2),
        dialogue=ScriptedDialogue(),
        desk=desk,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sb") as client:
        answers = []
        for n in range(3):
            raw = mail(f"question {n}", message_id=f"<cap{n}@example.com>").as_bytes()
            answers.append((await client.post(URL, content=raw, headers=bearer())).json())
        repeat = await client.post(URL, content=raw, headers=bearer())
    database = app.state.services.database
    with database.transaction() as session:
        cid = answers[2]["conversation_id"]
        conversation = history.get_conversation(session, cid)
        held = tickets.open_tickets_of(session, conversation.customer_id, limit=5)
    app.state.services.close()
    assert [(a["answered"], a["no_reply_reason"]) for a in answers] == [
        (True, None),
        (True, None),
        (False, "reply limit: 2 automatic replies to this address in the last hour"),
    ]
    # A relay's repeat of the capped mail is told the same, not a bare "not answered".
    assert repeat.json()["duplicate"] is True
    assert repeat.json()["no_reply_reason"] == answers[2]["no_reply_reason"]
    # Held back unanswered, the mail is not left for nobody: the conversation goes to a
    # person, whose desk gets it once (not again for the relay's repeat).
    (packet,) = desk.packets
    assert packet.conversation_id == answers[2]["conversation_id"]
    assert packet.reason == "reply_limit"
    assert "held back" in packet.summary
    assert packet.last_messages[-1].text.startswith("question 2")
    assert conversation.owner == "queued_for_agent"
    assert [t.subject for t in held] == ["Mail held back by the hourly reply limit"]


async def test_without_a_token_setting_there_is_no_webhook(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path), dialogue=ScriptedDialogue())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sb") as http:
        response = await http.post(URL, content=mail("hi").as_bytes(), headers=bearer())
    app.state.services.close()
    assert response.status_code == 404


def test_email_settings_refuse_half_configurations() -> None:
    with pytest.raises(ValueError, match="FROM_ADDRESS"):
        EmailSettings(smtp_host="smtp.example.com")
    with pytest.raises(ValueError, match="IMAP_USER"):
        EmailSettings(imap_host="imap.example.com", from_address="support@acme.test")
    with pytest.raises(ValueError, match="INBOUND_TOKEN"):
        Settings(
            environment="production",
            webchat={"secret_key": "s" * 40},  # type: ignore[arg-type]
            database={"url": "postgresql://db/x"},  # type: ignore[arg-type]
            email=EmailSettings(from_address="support@acme.test", inbound_token="short"),
        )


async def test_an_oversized_mail_sent_without_a_length_is_told_as_well(
    client: httpx.AsyncClient,
) -> None:
    """Chunked, the size is found by reading up to the limit: the header is kept from
    what was read, and the sender told without a size."""
    message = mail("huge, chunked")
    message.add_attachment(b"x" * 300_000, maintype="application", subtype="zip", filename="a.zip")
    raw = message.as_bytes()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 50_000):
            yield raw[start : start + 50_000]

    response = await client.post(URL, content=chunks(), headers=bearer())
    assert response.status_code == 413 and response.json()["answered"] is True
    [told] = replies(client)
    assert told.startswith("Your mail was over the 195 KB we can take by email")
