"""Real mail servers for the email tests: Dovecot IMAP and an aiosmtpd SMTP server.

Dovecot comes from Debian's `dovecot-imapd` (scripts/system-packages.sh installs it) and
runs rootless: one config file, a passwd-file user and a maildir in a temporary
directory, plain IMAP on 127.0.0.1 and a free high port. As root it runs as `nobody`.
aiosmtpd keeps every message it receives, and can be told to refuse the next ones with a
given SMTP reply, so tests can assert on what the bot sent and on how failures are met.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.ports import free_port

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)


def _wait_for_port(port: int, *, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the server accepts connections (start-up, not a timed assertion)."""
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited at start: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {port}: {log.read_text(errors='replace')}")


_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
"""


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for 127.0.0.1 and localhost; it is its own CA file."""

    cert: Path
    key: Path


def make_certificate(directory: Path) -> TlsFiles:
    files = TlsFiles(directory / "cert.pem", directory / "key.pem")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(files.key), "-out", str(files.cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return files


@dataclass
class Dovecot:
    """A running Dovecot with one mailbox user."""

    host: str
    port: int
    user: str
    password: str
    root: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_dovecot(
    root: Path,
    *,
    user: str = "support",
    password: str = "mailbox-secret",
    tls: TlsFiles | None = None,
) -> Dovecot:
    """Plain IMAP on a free port; with `tls`, implicit TLS (IMAPS) only."""
    assert DOVECOT is not None
    account = pwd.getpwuid(os.getuid()) if os.getuid() != 0 else pwd.getpwnam("nobody")
    group_name = _group_name(account.pw_gid)
    port = free_port()
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "users").write_text(
        f"{user}:{{PLAIN}}{password}:{account.pw_uid}:{account.pw_gid}::{root}/home/{user}\n"
    )
    config = root / "dovecot.conf"
    if tls is None:
        ssl, imap_port, imaps_port = "ssl = no", port, 0
    else:
        ssl = f"ssl = required\nssl_cert = <{tls.cert}\nssl_key = <{tls.key}"
        imap_port, imaps_port = 0, port
    config.write_text(
        _CONFIG.format(
            root=root,
            user=account.pw_name,
            group=group_name,
            ssl=ssl,
            imap_port=imap_port,
            imaps_port=imaps_port,
        )
    )
    if os.getuid() == 0:
        for path in [root, *root.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
        root.chmod(0o755)
    log = root / "dovecot.log"
    log.touch()
    if os.getuid() == 0:
        os.chown(log, account.pw_uid, account.pw_gid)
    kwargs: dict[str, Any] = {}
    if os.getuid() == 0:
        kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(root / "stderr.log").open("wb"),
        preexec_fn=_stop_with_parent,
        **kwargs,
    )
    _wait_for_port(port, process=process, log=log)
    return Dovecot("127.0.0.1", port, user, password, root, process)


def _stop_with_parent() -> None:
    """Linux: Dovecot gets SIGTERM if the test process dies without stopping it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


@dataclass
class SmtpRecorder:
    """An aiosmtpd handler that keeps what it receives, or refuses with a set reply."""

    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # as on the wire (headers unparsed)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse_with: list[str] = field(default_factory=list)  # e.g. "451 4.3.0 try later"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_with:
            return self.refuse_with.pop(0)
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.raw.append(content)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 2.0.0 Message accepted"


@dataclass(frozen=True)
class _Authenticator:
    """aiosmtpd's authenticator: one user with one password."""

    user: str
    password: str

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        good = isinstance(data, LoginPassword) and (
            data.login.decode(),
            data.password.decode(),
        ) == (self.user, self.password)
        return AuthResult(success=good, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: SmtpRecorder
    controller: Controller

    def stop(self) -> None:
        self.controller.stop()


def start_smtp(
    tls: TlsFiles | None = None,
    *,
    implicit_tls: bool = False,
    credentials: tuple[str, str] | None = None,
) -> SmtpServer:
    """Plain SMTP; with `tls`, STARTTLS required before mail (or implicit TLS); with
    `credentials` (user, password), AUTH PLAIN/LOGIN offered and only those accepted
    (535 for others)."""
    recorder = SmtpRecorder()
    port = free_port()
    options: dict[str, Any] = {}
    if credentials is not None:
        options["authenticator"] = _Authenticator(*credentials)
        options["auth_require_tls"] = False
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.cert, tls.key)
        if implicit_tls:
            options["ssl_context"] = context
        else:
            options["tls_context"] = context
            options["require_starttls"] = True
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return SmtpServer("127.0.0.1", port, recorder, controller)
