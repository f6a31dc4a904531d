"""The `switchboard` command: db upgrade, staff create, chat."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from crm_store import Database, customers, history, staff


def test_db_upgrade_then_staff_create_prints_token_last(
    env: dict[str, str], database_url: str
) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    created = runner.invoke(
        main,
        [
            "staff",
            "create",
            "--name",
            "Sam",
            "--email",
            "sam@acme.test",
            "--role",
            "sales",
            "--slack-user-id",
            "U123",
        ],
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("sbs_")
    database = Database(database_url)
    try:
        with database.transaction() as session:
            found = staff.staff_by_token(session, token)
    finally:
        database.dispose()
    assert found is not None and (found.role, found.slack_user_id) == ("sales", "U123")

    again = runner.invoke(
        main, ["staff", "create", "--name", "Sam", "--email", "sam@acme.test", "--role", "sales"]
    )
    assert again.exit_code != 0 and "exists already" in again.output
    wrong = runner.invoke(
        main, ["staff", "create", "--name", "X", "--email", "x@a.test", "--role", "boss"]
    )
    assert wrong.exit_code == 2


def test_chat_in_the_terminal_uses_the_engine_and_logs_history(
    env: dict[str, str], database_url: str
) -> None:
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    completed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--name", "Grace Hopper"],
        input="hello\nthanks\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, **env},
        check=True,
    )
    assert "bot> Hi Grace! How can I help you today?" in completed.stdout
    assert "bot> You're welcome!" in completed.stdout
    assert completed.stdout.index("Hi Grace") < completed.stdout.index("welcome")
    database = Database(database_url)
    try:
        with database.transaction() as session:
            (customer,) = [
                c for c in customers.find_customers(session, email=None) if c.name == "Grace Hopper"
            ] or [None]
            assert customer is not None
            rows = history.timeline(session, customer.id)
    finally:
        database.dispose()
    assert [(r.channel, r.author, r.delivery_status) for r in rows] == [
        ("terminal", "customer", None),
        ("terminal", "bot", "sent"),
        ("terminal", "customer", None),
        ("terminal", "bot", "sent"),
    ]


def test_chat_on_an_unmigrated_postgres_says_what_to_do(postgres_url: str, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="hello\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **__import__("os").environ,
            "SWITCHBOARD_DATABASE__URL": postgres_url,
            "SWITCHBOARD_DATA_DIR": str(tmp_path),
        },
    )
    assert completed.returncode == 1
    assert "run `switchboard db upgrade`" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_serve_help_says_what_host_and_port_are_and_how_make_run_sets_them() -> None:
    shown = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "address to listen on; 0.0.0.0 for every interface (`make run`: HOST=)" in shown.output
    assert "port to listen on (`make run`: PORT=)" in shown.output
    assert "SWITCHBOARD_DEMO__ENABLED=true" in shown.output


def test_serve_on_a_port_in_use_says_so_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert refused.exit_code == 1, refused.output
    assert refused.output == (
        f"Error: port {port} on 127.0.0.1 is in use (another switchboard serve?): "
        "stop it or pick another with --port\n"
    )
