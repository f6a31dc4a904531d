"""The files a customer's message brought, read from each channel's attributes for the
agent desk (bot/handoffs/sent_files.py)."""

from __future__ import annotations

from bot.handoffs.sent_files import sent_files
from channels.handoff import SentFile


def test_mms_media_are_links_and_mail_attachments_names_in_the_mailbox() -> None:
    attributes = {
        "media": [
            {"url": "https://api.twilio.com/m/ME1", "content_type": "image/jpeg"},
            {"url": "https://api.twilio.com/m/ME2", "content_type": "application/pdf"},
            {"url": "javascript:alert(1)", "content_type": "image/png"},
        ],
        "email": {
            "attachments": [
                {"filename": "zip.png", "content_type": "image/png", "size": 5004},
                {"filename": None, "content_type": "application/octet-stream", "size": 9},
            ]
        },
    }
    assert sent_files(attributes) == (
        SentFile("picture (image/jpeg)", "https://api.twilio.com/m/ME1"),
        SentFile("application/pdf", "https://api.twilio.com/m/ME2"),
        SentFile("picture (image/png)", None),  # only https links are offered to click
        SentFile("zip.png (image/png), in the support mailbox"),
        SentFile("unnamed attachment (application/octet-stream), in the support mailbox"),
    )


def test_a_message_without_files_has_none() -> None:
    assert sent_files({}) == ()
    assert sent_files({"email": {"attachments": []}, "media": None}) == ()
