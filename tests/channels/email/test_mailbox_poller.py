"""The IMAP poller against Dovecot, with the watermark in the store (SQLite, PostgreSQL):
renumbered folders, oversized mail, a mail the engine keeps failing on."""

from __future__ import annotations

from bot.channel_store.email_store import StoredWatermarks
from channels.email import ImapAccount, MailboxPoller
from crm_store import Database
from tests.support.fakes import RecordingIntake
from tests.support.mail import append, imap_session, mail
from tests.support.mail_servers import Dovecot


def poller(
    dovecot: Dovecot, folder: str, database: Database, intake: RecordingIntake, **options: int
) -> MailboxPoller:
    account = ImapAccount(
        dovecot.host, dovecot.port, dovecot.user, dovecot.password, folder=folder, tls=False
    )
    return MailboxPoller(account, intake, StoredWatermarks(database), **options)  # type: ignore[arg-type]


async def test_a_renumbered_folder_is_read_again_from_the_start(
    dovecot: Dovecot, folder: str, database: Database
) -> None:
    intake = RecordingIntake()
    append(dovecot, folder, mail("before", message_id="<before@example.com>"))
    assert await poller(dovecot, folder, database, intake).poll_once() == 1
    with imap_session(dovecot) as conn:  # a new folder of the same name: new UIDVALIDITY
        assert conn.delete(folder)[0] == "OK"
        assert conn.create(folder)[0] == "OK"
    append(dovecot, folder, mail("after", message_id="<after@example.com>"))
    assert await poller(dovecot, folder, database, intake).poll_once() == 1
    assert [m.text for m in intake.received] == ["before", "after"]


async def test_a_mail_over_the_size_limit_is_logged_from_its_header_and_its_sender_told(
    dovecot: Dovecot, folder: str, database: Database
) -> None:
    big = mail("Please see the attached video.", message_id="<big@example.com>")
    big.add_attachment(b"v" * 50_000, maintype="video", subtype="mp4", filename="dent.mp4")
    append(dovecot, folder, big)
    intake = RecordingIntake()
    assert await poller(dovecot, folder, database, intake, max_bytes=20_000).poll_once() == 1
    [message] = intake.received
    assert message.provider_message_id == "<big@example.com>"
    assert message.address == "ada@example.com" and message.no_reply_reason is None
    assert "over the 20000-byte limit" in message.text
    # The sender is told it was not read, rather than left waiting (oversize.py).
    assert message.preset_reply is not None
    assert message.preset_reply.startswith("Your mail (")
    assert "over the 20 KB we can take by email" in message.preset_reply


async def test_a_failing_mail_is_retried_then_passed_over_without_blocking_the_rest(
    dovecot: Dovecot, folder: str, database: Database
) -> None:
    for text in ("one", "poison", "three"):
        append(dovecot, folder, mail(text))
    intake = RecordingIntake(failing={"poison"})
    reader = poller(dovecot, folder, database, intake, max_failures=3)
    assert await reader.poll_once() == 1  # "one"; stops at "poison"
    assert await reader.poll_once() == 0  # "poison" fails again, nothing moves
    assert await reader.poll_once() == 2  # third failure: passed over, "three" read
    assert [m.text for m in intake.received] == ["one", "three"]
    assert intake.attempts == ["one", "poison", "poison", "poison", "three"]


async def test_a_mail_without_a_sender_is_left_in_the_mailbox_and_the_rest_read(
    dovecot: Dovecot, folder: str, database: Database
) -> None:
    append(dovecot, folder, b"Subject: no sender\r\n\r\nhello\r\n")
    append(dovecot, folder, mail("with a sender"))
    intake = RecordingIntake()
    assert await poller(dovecot, folder, database, intake).poll_once() == 2
    assert [m.text for m in intake.received] == ["with a sender"]
    with imap_session(dovecot) as conn:
        conn.select(folder, readonly=True)
        assert conn.search(None, "ALL")[1] == [b"1 2"]


async def test_a_batch_holds_about_one_maximum_size_mail(
    dovecot: Dovecot, folder: str, database: Database
) -> None:
    for n in range(3):
        append(dovecot, folder, mail(f"mail {n} " + "x" * 6_000))
    intake = RecordingIntake()
    reader = poller(dovecot, folder, database, intake, max_bytes=10_000)
    assert [await reader.poll_once() for _ in range(3)] == [2, 1, 0]
    assert [m.text.split(" x")[0] for m in intake.received] == ["mail 0", "mail 1", "mail 2"]
