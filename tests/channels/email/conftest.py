"""Fixtures of the email tests: a real Dovecot and real SMTP servers (plain, STARTTLS and
implicit TLS), a fresh IMAP folder per test; mail builders are in tests/support/mail.py.

Dovecot is skipped with a reason only when its binary is missing and the run is not CI
(`CI` or SWITCHBOARD_REQUIRE_POSTGRES=1, as `make test` sets): there it must run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mail import imap_session
from tests.support.mail_servers import (
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


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"
