"""Email unsubscribe: every mail carries a signed List-Unsubscribe link (RFC 8058 one-click);
a POST to it withdraws the address's consent in the ledger, a GET only shows the button,
a forged link changes nothing."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer

from bot.api.unsubscribe import UnsubscribeLinks
from bot.app import create_app
from bot.settings import Settings
from channels.email.outbound import MailIdentity, compose
from channels.messages import Channel, OutboundMessage
from crm_store import consents
from knowledge.embeddings import SentenceEncoder
from tests.support.app import services


def test_every_mail_carries_the_recipients_one_click_link() -> None:
    links = UnsubscribeLinks("s3cret", "https://support.example.com")
    message = OutboundMessage(
        outbox_id=7,
        interaction_id=7,
        conversation_id=1,
        seq=2,
        channel=Channel.EMAIL,
        address="Ada@Example.com",
        author="bot",
        text="Refunds take 5 days.",
        created_at=datetime.now(UTC),
    )
    mail = compose(message, None, MailIdentity("help@acme.test", unsubscribe_url=links.url))
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://support.example.com/unsubscribe?t=")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert links.address(link.partition("?t=")[2]) == "ada@example.com"
    assert compose(message, None, MailIdentity("help@acme.test"))["List-Unsubscribe"] is None


@pytest.fixture
def client(settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, encoder=encoder)) as client:
        yield client


def test_one_click_withdraws_email_consent_and_a_get_does_not(client: TestClient) -> None:
    links = UnsubscribeLinks(services(client).settings.webchat_secret())
    url = links.url("ada@example.com")
    database = services(client).database
    page = client.get(url)
    assert page.status_code == 200 and '<form method="post"' in page.text
    with database.transaction() as session:
        assert consents.ledger_of(session, 1) == []
        assert consents.current_consent(session, "email", "ada@example.com") is None
    done = client.post(
        url,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "no more email" in done.text
    with database.transaction() as session:
        stop = consents.opt_out_of(session, "email", "ada@example.com")
        assert stop is not None and stop.means == "unsubscribe_link"
        assert stop.wording == "List-Unsubscribe one-click (RFC 8058)"
        for purpose in consents.PURPOSES:
            assert consents.opt_out_of(session, "email", "ada@example.com", purpose=purpose)


def test_a_link_cut_short_gets_a_page_that_says_so(client: TestClient) -> None:
    # A link without its token (a mail client broke the line): words in HTML, not JSON.
    for answer in (
        client.get("/unsubscribe"),
        client.get("/unsubscribe?t="),
        client.post("/unsubscribe", content="List-Unsubscribe=One-Click"),
    ):
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("text/html")
        assert "This unsubscribe link is incomplete." in answer.text
        assert "open the unsubscribe link in our email again" in answer.text


def test_a_forged_link_changes_nothing(client: TestClient) -> None:
    forged = UnsubscribeLinks("another secret").url("ada@example.com")
    assert client.get(forged).status_code == 403
    assert client.post(forged, content="List-Unsubscribe=One-Click").status_code == 403
    with services(client).database.transaction() as session:
        assert consents.current_consent(session, "email", "ada@example.com") is None


def test_the_link_does_not_show_the_address() -> None:
    links = UnsubscribeLinks("s3cret", "https://support.example.com")
    for url, address in (
        (links.url("Ada.Lovelace@Example.com"), "ada.lovelace@example.com"),
        (links.campaign_url("ada@example.com", 42), "ada@example.com"),
    ):
        token = url.partition("?t=")[2]
        assert token.startswith("2.") and address not in token.lower()
        for part in token.split("."):  # any base64 part, as a curious reader would try
            with contextlib.suppress(ValueError):
                padded = part + "=" * (-len(part) % 4)
                decoded = base64.urlsafe_b64decode(padded).decode("latin-1").lower()
                assert address not in decoded and "lovelace" not in decoded
    assert links.read(links.campaign_url("Ada@Example.com", 42).partition("?t=")[2]) == (
        "ada@example.com",
        42,
    )
    # Sealed for one server's secret: another's cannot open or forge it.
    sealed = links.url("ada@example.com").partition("?t=")[2]
    assert UnsubscribeLinks("another secret").read(sealed) is None


def test_a_link_made_before_sealing_still_unsubscribes(client: TestClient) -> None:
    # Mail already in inboxes carries the signed-only token: an unsubscribe link must
    # keep working, so it is still read (and a forged one of that kind still is not).
    secret = services(client).settings.webchat_secret()
    signed = URLSafeSerializer(secret, salt="switchboard.email.unsubscribe")
    old = "/unsubscribe?t=" + signed.dumps({"e": "grace@example.com"})
    done = client.post(old, content="List-Unsubscribe=One-Click")
    assert done.status_code == 200 and "no more email" in done.text
    with services(client).database.transaction() as session:
        assert consents.opt_out_of(session, "email", "grace@example.com") is not None
    forged = URLSafeSerializer("not the secret", salt="switchboard.email.unsubscribe")
    answer = client.post("/unsubscribe?t=" + forged.dumps({"e": "ada@example.com"}))
    assert answer.status_code == 403
