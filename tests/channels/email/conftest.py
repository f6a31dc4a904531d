"""Fixtures of the email tests: a real Dovecot and a real SMTP server, mail builders.

Dovecot is skipped with a reason only when its binary is missing and the run is not CI
(`CI` or SWITCHBOARD_REQUIRE_POSTGRES=1, as `make test` sets): there it must run.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from tests.channels.email.servers import (
    DOVECOT,
    Dovecot,
    SmtpServer,
    TlsFiles,
    make_certificate,
    start_dovecot,
    start_smtp,
)

REQUIRED = os.environ.get("SWITCHBOARD_REQUIRE_POSTGRES") == "1" or bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if DOVECOT is None:
        if REQUIRED:
            pytest.fail("dovecot is not installed (scripts/system-packages.sh installs it)")
        pytest.skip("no dovecot binary: apt-get install dovecot-imapd (or run make test)")
    # Not under pytest's tmp dir: that is private to the test user, and as root Dovecot
    # runs as `nobody`, which must reach its config and maildir.
    root = Path(tempfile.mkdtemp(prefix="switchboard-dovecot-"))
    server = start_dovecot(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_files() -> Iterator[TlsFiles]:
    """A self-signed certificate, readable by the unprivileged Dovecot."""
    if shutil.which("openssl") is None:
        if REQUIRED:
            pytest.fail("openssl is not installed (scripts/system-packages.sh installs it)")
        pytest.skip("no openssl binary to make a test certificate")
    root = Path(tempfile.mkdtemp(prefix="switchboard-tls-"))
    files = make_certificate(root)
    root.chmod(0o755)
    for path in (files.cert, files.key):
        path.chmod(0o644)
    yield files
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_tls(dovecot: Dovecot, tls_files: TlsFiles) -> Iterator[Dovecot]:
    """A second Dovecot speaking implicit TLS only (IMAPS), as real providers do."""
    root = Path(tempfile.mkdtemp(prefix="switchboard-dovecot-tls-"))
    server = start_dovecot(root, tls=tls_files)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def smtp_starttls(tls_files: TlsFiles) -> Iterator[SmtpServer]:
    """An SMTP server that refuses mail before STARTTLS."""
    server = start_smtp(tls_files)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_implicit_tls(tls_files: TlsFiles) -> Iterator[SmtpServer]:
    server = start_smtp(tls_files, implicit_tls=True)
    yield server
    server.stop()


@pytest.fixture
def folder(dovecot: Dovecot) -> str:
    """A fresh, empty IMAP folder for this test."""
    name = f"t{uuid.uuid4().hex[:10]}"
    with imap_session(dovecot) as conn:
        status, data = conn.create(name)
        assert status == "OK", data
    return name


def imap_session(dovecot: Dovecot) -> imaplib.IMAP4:
    conn = imaplib.IMAP4(dovecot.host, dovecot.port)
    conn.login(dovecot.user, dovecot.password)
    return conn


def append(dovecot: Dovecot, folder: str, mail: EmailMessage | bytes) -> None:
    """Put a mail in the folder the way a delivery agent would (IMAP APPEND)."""
    raw = mail if isinstance(mail, bytes) else mail.as_bytes()
    with imap_session(dovecot) as conn:
        status, data = conn.append(folder, None, None, raw)
        assert status == "OK", data


def flags(dovecot: Dovecot, folder: str) -> list[bytes]:
    """The FLAGS of every message in the folder (read-only)."""
    with imap_session(dovecot) as conn:
        conn.select(folder, readonly=True)
        status, data = conn.fetch("1:*", "(FLAGS)")
        assert status == "OK"
        return [item for item in data if isinstance(item, bytes)]


def mail(
    text: str,
    *,
    sender: str = "Ada Lovelace <ada@example.com>",
    to: str = "Acme Support <support@acme.test>",
    subject: str = "Refunds",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    authenticated_by: str | None = None,
) -> EmailMessage:
    """A mail as it reaches the mailbox. `authenticated_by`: the authserv-id of a
    receiver that checked the sender and found DMARC passing (its Authentication-Results
    header on top, as a receiver adds it)."""
    message = EmailMessage()
    if authenticated_by is not None:
        message["Authentication-Results"] = dmarc_pass(authenticated_by, sender)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return message


def dmarc_pass(authserv_id: str, sender: str) -> str:
    """An Authentication-Results payload saying the sender's domain passed DKIM and DMARC."""
    domain = sender.rpartition("@")[2].rstrip(">").strip().lower()
    return (
        f"{authserv_id}; dkim=pass header.d={domain} header.s=s1; "
        f"spf=pass smtp.mailfrom={domain}; dmarc=pass (p=REJECT) header.from={domain}"
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"
