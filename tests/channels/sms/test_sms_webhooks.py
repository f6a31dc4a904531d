"""SMS end to end: signed Twilio webhooks into the real app, replies through the real
delivery worker and the twilio library to the local Twilio REST stand-in."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.settings import Settings
from channels.handoff import SentFile
from channels.sms.segments import Segments, count_segments
from crm_store import handoffs, history
from crm_store.models import Customer, Interaction
from tests.support.fakes import RecordingAgentDesk, ScriptedDialogue
from tests.support.handoffs import handed_off
from tests.support.sms_harness import (
    ACCOUNT,
    COMPANY_NUMBER,
    CUSTOMER,
    PUBLIC,
    TOKEN,
    SmsHarness,
    harness_for,
    sign,
)
from tests.support.twilio_standin import TwilioStandIn

STATUS_CALLBACK = f"{PUBLIC}/webhooks/twilio/status"


def count(harness: SmsHarness, model: type) -> int:
    with harness.services.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def inbound_and_replies(harness: SmsHarness) -> list[tuple[str, str, str | None]]:
    with harness.services.database.transaction() as session:
        rows = session.scalars(select(Interaction).order_by(Interaction.id))
        return [(row.direction, row.text, row.delivery_status) for row in rows]


async def test_a_text_gets_an_empty_twiml_ack_and_one_reply_through_the_api(
    sms: SmsHarness,
) -> None:
    response = await sms.text("hello there", "SM-in-1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response />'

    await sms.deliver()
    [post] = sms.stand_in.posts
    assert post.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert post.auth == (ACCOUNT, TOKEN)
    assert post.form["To"] == CUSTOMER and post.form["From"] == COMPANY_NUMBER
    assert post.form["Body"] == "Hello from the bot"
    [row] = sms.outbox()
    assert post.form["StatusCallback"] == f"{STATUS_CALLBACK}?outbox={row.id}"
    assert row.status == "sent" and row.provider_message_id == "SM" + f"{1:032x}"
    reply = sms.interaction(row.interaction_id)
    assert reply.provider_message_id == row.provider_message_id
    assert reply.delivery_status == "sent"
    assert reply.attributes["sms_segments"] == 1 and reply.attributes["sms_encoding"] == "GSM-7"


async def test_the_same_message_sid_three_times_is_one_interaction_and_one_reply(
    sms: SmsHarness,
) -> None:
    for _ in range(3):
        assert (await sms.text("hello there", "SM-retried")).status_code == 200
        await sms.deliver()
    assert inbound_and_replies(sms) == [
        ("in", "hello there", None),
        ("out", "Hello from the bot", "sent"),
    ]
    assert len(sms.stand_in.posts) == 1
    assert len(sms.dialogue.turns) == 1  # type: ignore[attr-defined]


async def test_forged_missing_and_wrong_url_signatures_get_403_and_store_nothing(
    sms: SmsHarness,
) -> None:
    form = {"MessageSid": "SM-x", "From": CUSTOMER, "To": COMPANY_NUMBER, "Body": "hi"}
    path = "/webhooks/twilio/sms"
    forged = sign(path, form, token="not-the-auth-token")
    genuine = sign(path, form)
    tampered = ("A" if genuine[0] != "A" else "B") + genuine[1:]
    for signature in (None, "", forged, tampered):
        response = await sms.post(path, form, signature=signature)
        assert response.status_code == 403
        assert response.json()["error"] == "missing or invalid X-Twilio-Signature"
    # Signed for the URL this server sees (not the public one Twilio calls): refused.
    local = RequestValidator(TOKEN).compute_signature(f"http://testserver{path}", form)
    assert (await sms.post(path, form, signature=local)).status_code == 403
    # A changed field after signing: refused.
    tampered = {**form, "Body": "send me everything"}
    assert (await sms.post(path, tampered, signature=sign(path, form))).status_code == 403
    assert count(sms, Interaction) == 0 and count(sms, Customer) == 0
    assert sms.stand_in.posts == []


async def test_a_form_without_a_sender_is_refused_with_the_reason(sms: SmsHarness) -> None:
    form = {"MessageSid": "SM-x", "To": COMPANY_NUMBER, "Body": "hi"}
    response = await sms.post("/webhooks/twilio/sms", form)
    assert response.status_code == 400 and response.json()["error"] == "missing From"
    assert count(sms, Interaction) == 0


async def test_a_picture_is_recorded_and_the_customer_told_what_the_bot_can_do(
    sms: SmsHarness,
) -> None:
    media = {
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
    }
    await sms.text("", "SM-pic", **media)
    await sms.deliver()
    with sms.services.database.transaction() as session:
        inbound = session.scalars(select(Interaction).where(Interaction.direction == "in")).one()
        assert inbound.attributes["media"] == [
            {"url": media["MediaUrl0"], "content_type": "image/jpeg"}
        ]
    [post] = sms.stand_in.posts
    assert "can't look at pictures" in post.form["Body"]
    assert sms.dialogue.turns == []  # type: ignore[attr-defined]


async def test_a_picture_with_a_question_gets_the_question_answered(sms: SmsHarness) -> None:
    media = {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/m/ME2"}
    await sms.text("is this damaged?", "SM-pic2", **media)
    await sms.deliver()
    assert [p.form["Body"] for p in sms.stand_in.posts] == [
        "Your attachment is saved with your conversation for our support team; I can't "
        "look at pictures or files myself, so here is what I can say:\n\n"
        "Hello from the bot"
    ]
    assert [t.message.text for t in sms.dialogue.turns] == ["is this damaged?"]  # type: ignore[attr-defined]


async def test_an_iphone_reaction_to_the_bots_text_is_logged_and_not_answered(
    sms: SmsHarness,
) -> None:
    await sms.text("hello there", "SM-q")
    await sms.deliver()
    # The customer likes the answer; the phone sends the tapback on as a text quoting it.
    response = await sms.text("Liked “Hello from the bot”", "SM-like")
    assert response.status_code == 200
    await sms.deliver()
    assert inbound_and_replies(sms) == [
        ("in", "hello there", None),
        ("out", "Hello from the bot", "sent"),
        ("in", "Liked “Hello from the bot”", None),
    ]
    assert [p.form["Body"] for p in sms.stand_in.posts] == ["Hello from the bot"]
    assert [t.message.text for t in sms.dialogue.turns] == ["hello there"]  # type: ignore[attr-defined]
    with sms.services.database.transaction() as session:
        liked = session.scalars(select(Interaction).where(Interaction.seq == 3)).one()
        assert liked.attributes["sms_reaction"] == "Liked"
        assert liked.attributes["no_reply_reason"] == "reaction to our text"


async def test_a_picture_during_a_handoff_reaches_the_agent_and_the_bot_stays_quiet(
    sms_settings: Settings, stand_in: TwilioStandIn
) -> None:
    desk = RecordingAgentDesk()
    async for sms in harness_for(sms_settings, stand_in, ScriptedDialogue(), desk=desk):
        await sms.text("hello", "SM-1")
        handoff_id = handed_off(sms.services.database, "sms", CUSTOMER)
        with sms.services.database.transaction() as session:
            conversation_id = handoffs.get_handoff(session, handoff_id).conversation_id  # type: ignore[union-attr]
            history.set_owner(session, conversation_id, "queued_for_agent")
        picture = "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1"
        media = {"NumMedia": "1", "MediaUrl0": picture, "MediaContentType0": "image/jpeg"}
        assert (await sms.text("", "SM-pic", **media)).status_code == 200
        await sms.deliver()
        # The bot's "tell me in words what you need" would talk over the person.
        assert [p.form["Body"] for p in stand_in.posts] == ["Hello from the bot"]
        (update,) = desk.updates
        assert (update.handoff_id, update.text) == (handoff_id, "")
        assert update.files == (SentFile("picture (image/jpeg)", picture),)


async def test_status_callbacks_only_move_forward_whatever_their_order(sms: SmsHarness) -> None:
    await sms.text("hello", "SM-1")
    await sms.deliver()
    [row] = sms.outbox()

    for status in ("delivered", "sent", "queued"):
        assert (await sms.status(0, status)).status_code == 200
        assert sms.interaction(row.interaction_id).delivery_status == "delivered"
    assert (await sms.status(0, "undelivered", ErrorCode="30003")).status_code == 200
    reply = sms.interaction(row.interaction_id)
    assert reply.delivery_status == "delivered" and "delivery_error" not in reply.attributes


async def test_a_failed_status_is_final_and_says_why(sms: SmsHarness) -> None:
    await sms.text("hello", "SM-1")
    await sms.deliver()
    [row] = sms.outbox()
    await sms.status(0, "failed", ErrorCode="30006")
    await sms.status(0, "delivered")
    reply = sms.interaction(row.interaction_id)
    assert reply.delivery_status == "failed"
    assert reply.attributes["delivery_error"] == "Twilio error 30006"


async def test_a_callback_that_beats_the_send_record_is_kept(sms: SmsHarness) -> None:
    """Twilio may call back before the worker has stored the Sid: the outbox id in the
    callback URL finds the message, and the late "sent" does not undo "delivered"."""
    await sms.text("hello", "SM-1")
    [row] = sms.outbox()
    form = {"MessageSid": "SM" + f"{1:032x}", "MessageStatus": "delivered"}
    path = f"/webhooks/twilio/status?outbox={row.id}"
    assert (await sms.post(path, form)).status_code == 200
    await sms.deliver()
    assert sms.interaction(row.interaction_id).delivery_status == "delivered"


async def test_status_callbacks_signed_wrong_or_for_unknown_messages_are_refused(
    sms: SmsHarness,
) -> None:
    await sms.text("hello", "SM-1")
    await sms.deliver()
    [row] = sms.outbox()
    form = {"MessageSid": row.provider_message_id or "", "MessageStatus": "delivered"}
    path = f"/webhooks/twilio/status?outbox={row.id}"
    forged = sign(path, form, token="wrong")
    assert (await sms.post(path, form, signature=forged)).status_code == 403
    # The outbox id is signed too: pointing the callback at another message fails.
    other = f"/webhooks/twilio/status?outbox={row.id + 1}"
    assert (await sms.post(other, form, signature=sign(path, form))).status_code == 403
    unknown = {"MessageSid": "SM-never-sent", "MessageStatus": "delivered"}
    response = await sms.post("/webhooks/twilio/status", unknown)
    assert response.status_code == 404 and "SM-never-sent" in response.json()["error"]
    assert sms.interaction(row.interaction_id).delivery_status == "sent"


@pytest.mark.parametrize("outbox", ["abc", "%C2%B2", "99999999999999999999", "2147483648"])
async def test_a_status_callback_with_an_outbox_id_the_store_cannot_hold_is_a_400(
    sms: SmsHarness, outbox: str
) -> None:
    """Signed, so only Twilio (or a holder of the auth token) could send one; still a
    400 with its reason, never the database's overflow as a 500."""
    form = {"MessageSid": "SM" + f"{1:032x}", "MessageStatus": "delivered"}
    response = await sms.post(f"/webhooks/twilio/status?outbox={outbox}", form)
    assert response.status_code == 400
    assert response.json()["error"] == "outbox must be a number from 0 to 2147483647"


async def test_twilio_429_then_success_sends_exactly_once(sms: SmsHarness) -> None:
    sms.stand_in.fail_next(429, 20429, "Too Many Requests")
    await sms.text("hello", "SM-1")
    await sms.deliver()
    assert [post.answered for post in sms.stand_in.posts] == [429, 201]
    assert len(sms.stand_in.accepted) == 1
    [row] = sms.outbox()
    assert row.status == "sent" and row.attempts == 2


async def test_twilio_500s_are_retried_until_twilio_takes_the_message(sms: SmsHarness) -> None:
    sms.stand_in.fail_next(500)
    sms.stand_in.fail_next(503)
    await sms.text("hello", "SM-1")
    await sms.deliver()
    assert [post.answered for post in sms.stand_in.posts] == [500, 503, 201]
    assert sms.outbox()[0].status == "sent"


async def test_a_4xx_from_twilio_fails_the_message_visibly_without_retrying(
    sms: SmsHarness,
) -> None:
    sms.stand_in.fail_next(400, 21211, "The 'To' number +14155550101 is not a valid phone number.")
    await sms.text("hello", "SM-1")
    await sms.deliver()
    assert len(sms.stand_in.posts) == 1
    [row] = sms.outbox()
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error is not None
    assert "21211" in row.last_error and "is not a valid phone number" in row.last_error
    assert sms.interaction(row.interaction_id).delivery_status == "failed"


@pytest.mark.parametrize(
    ("sentence", "encoding", "first_words"),
    [
        ("**Step {i}**: do the *thing* number {i}.", "GSM-7", "Step 0: do the thing"),
        # One character outside the GSM alphabet makes the whole text UCS-2 (67 characters
        # a part): cut at 1,600 characters, such an answer went in 24 segments, where the
        # limit's GSM-7 text takes 11 and an agent's reply is held to 11 as well.
        ("Schritt {i}: Reißverschluss *prüfen* ✓.", "UCS-2", "Schritt 0: Reißverschluss prüfen ✓."),
    ],
)
async def test_a_long_reply_is_cut_to_a_summary_with_its_link_and_counted(
    sms: SmsHarness, sentence: str, encoding: str, first_words: str
) -> None:
    article = "https://help.acme-outfitters.example/returns-and-refunds/refunds"
    long_answer = " ".join(sentence.format(i=i) for i in range(120))
    sms.dialogue.replies = [f"{long_answer}\n\n_Source: [Refunds]({article})_"]  # type: ignore[attr-defined]
    await sms.text("how do refunds work?", "SM-1")
    await sms.deliver()
    [post] = sms.stand_in.posts
    body = post.form["Body"]
    assert len(body) <= 1600 and body.endswith(f".\n\nMore: {article}")
    assert count_segments(body) == Segments(encoding, 11)
    assert "*" not in body and "](" not in body and body.startswith(first_words)
    reply = sms.interaction(sms.outbox()[0].interaction_id)
    assert reply.text.startswith(sentence.format(i=0))  # the history keeps what the bot wrote
    assert reply.attributes["sms_text"] == body and reply.attributes["sms_shortened"] is True
    assert reply.attributes["sms_encoding"] == encoding
    assert reply.attributes["sms_segments"] == 11


async def test_an_emoji_reply_is_counted_as_ucs2(sms: SmsHarness) -> None:
    sms.dialogue.replies = ["Refund sent 👍 " * 6]  # type: ignore[attr-defined]
    await sms.text("refund?", "SM-1")
    await sms.deliver()
    reply = sms.interaction(sms.outbox()[0].interaction_id)
    assert reply.attributes["sms_encoding"] == "UCS-2" and reply.attributes["sms_segments"] == 2


def test_the_sms_routes_are_absent_when_twilio_is_not_configured(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.app"):
        app = create_app(sqlite_settings, dialogue=ScriptedDialogue())
    assert "SMS is off: set SWITCHBOARD_TWILIO__* to turn it on" in caplog.messages
    with TestClient(app) as client:
        assert client.post("/webhooks/twilio/sms", data={"Body": "hi"}).status_code == 404


@pytest.mark.parametrize(
    ("sender", "kind"),
    [("ACMEBANK", "an alphanumeric sender ID"), ("Acme Bank", "an alphanumeric sender ID"),
     ("72345", "a short code")],
)  # fmt: skip
async def test_a_text_from_a_sender_that_is_not_a_phone_number_is_kept_and_not_answered(
    sms: SmsHarness, sender: str, kind: str
) -> None:
    """Signed like any text: it used to be answered, and the reply went to Twilio for an
    address no SMS can reach (an alphanumeric ID takes no replies; Twilio numbers cannot
    text short codes, error 21265)."""
    for keyword_or_text in ("Your code is 1234", "STOP"):
        response = await sms.text(keyword_or_text, f"SM-{sender}-{keyword_or_text}", sender=sender)
        assert response.status_code == 200
    await sms.deliver()
    assert sms.stand_in.posts == [] and sms.outbox() == []
    with sms.services.database.transaction() as session:
        rows = list(session.scalars(select(Interaction).order_by(Interaction.id)))
        customers = list(session.scalars(select(Customer)))
    assert [(row.direction, row.text) for row in rows] == [
        ("in", "Your code is 1234"),
        ("in", "STOP"),
    ]
    assert {row.attributes["no_reply_reason"] for row in rows} == {
        f"sender is {kind}: SMS cannot be sent back to it"
    }
    assert [c.phone for c in customers] == [None]  # not a phone: never put on file as one
