"""The `switchboard` command: db upgrade, staff (create, new-token, deactivate, list), chat."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from bot.api.staff_sessions import COOKIE
from bot.app import create_app
from bot.cli import main
from bot.cli.main import started_line
from bot.settings import DatabaseSettings, Settings
from crm_store import Database, customers, history, staff
from tests.support.fakes import ScriptedDialogue


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
    # Which store the token is in: one the server does not use refuses it.
    shown = Database(database_url).url.render_as_string(hide_password=True)
    assert f"in the database {shown}:" in created.stderr
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
    assert "`switchboard staff new-token EMAIL` gives them a new token" in again.output
    wrong = runner.invoke(
        main, ["staff", "create", "--name", "X", "--email", "x@a.test", "--role", "boss"]
    )
    assert wrong.exit_code == 2


def test_staff_create_refuses_a_blank_name_and_an_email_that_is_not_one(
    env: dict[str, str], database_url: str
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    blank = runner.invoke(
        main, ["staff", "create", "--name", "  ", "--email", "sam@acme.test", "--role", "agent"]
    )
    assert blank.exit_code == 2 and "give a name of 1 to 100 characters" in blank.output
    typo = runner.invoke(
        main, ["staff", "create", "--name", "Sam", "--email", "sam.acme.test", "--role", "agent"]
    )
    assert typo.exit_code == 2
    assert "'sam.acme.test' is not an email address: An email address must have an @-sign" in (
        typo.output
    )
    listed = runner.invoke(main, ["staff", "list"])
    assert listed.output == "no staff users yet: `switchboard staff create` adds one\n"

    spaced = runner.invoke(
        main,
        [
            "staff",
            "create",
            "--name",
            " Sam  Carter ",
            "--email",
            " Sam@Acme.test ",
            "--role",
            "agent",
        ],
    )
    assert spaced.exit_code == 0, spaced.output
    listed = runner.invoke(main, ["staff", "list"])
    assert listed.output.split() == ["sam@acme.test", "agent", "active", "Sam", "Carter"]


def _created_token(runner: CliRunner, name: str, email: str, role: str) -> str:
    created = runner.invoke(
        main, ["staff", "create", "--name", name, "--email", email, "--role", role]
    )
    assert created.exit_code == 0, created.output
    return created.stdout.strip().splitlines()[-1]


def _signed_in(client: TestClient, token: str) -> str:
    """A dashboard session cookie for `token`, kept out of the client's own jar."""
    answer = client.post("/api/v1/staff-session", json={"token": token})
    assert answer.status_code == 200, answer.text
    cookie = client.cookies[COOKIE]
    client.cookies.clear()
    return cookie


def _who(client: TestClient, *, token: str | None = None, cookie: str | None = None) -> int:
    """The status of "who is signed in?" with a bearer token or a session cookie."""
    client.cookies.clear()
    if cookie is not None:
        client.cookies.set(COOKIE, cookie)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    status = client.get("/api/v1/staff-session", headers=headers).status_code
    client.cookies.clear()
    return status


def test_db_upgrade_says_what_it_applied_and_then_that_nothing_was_left(
    env: dict[str, str], database_url: str
) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"])
    second = runner.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    head = second.output.strip().removeprefix("database is up to date (migration ").rstrip(")")
    assert second.output.strip() == f"database is up to date (migration {head})"
    assert first.output.strip() == f"database upgraded from migration none (empty) to {head}"


def test_staff_new_token_and_deactivate_end_the_old_token_and_its_sessions(
    env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "server",
        database=DatabaseSettings(url=database_url, auto_migrate=True),
    )
    runner = CliRunner()
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        old = _created_token(runner, "Sam", "sam@acme.test", "sales")
        colleague = _created_token(runner, "Lee", "lee@acme.test", "agent")
        old_session = _signed_in(client, old)
        assert _who(client, token=old) == 200 and _who(client, cookie=old_session) == 200

        renewed = runner.invoke(main, ["staff", "new-token", "Sam@Acme.test"])
        assert renewed.exit_code == 0, renewed.output
        new = renewed.stdout.strip().splitlines()[-1]
        assert new.startswith("sbs_") and new != old
        assert "the old token and its dashboard sessions no longer work" in renewed.stderr
        assert _who(client, token=old) == 401
        assert _who(client, cookie=old_session) == 401
        assert _who(client, token=new) == 200
        new_session = _signed_in(client, new)

        deactivated = runner.invoke(main, ["staff", "deactivate", "sam@acme.test"])
        assert deactivated.exit_code == 0, deactivated.output
        assert deactivated.output.startswith("deactivated staff user ")
        assert _who(client, token=new) == 401
        assert _who(client, cookie=new_session) == 401
        assert client.post("/api/v1/staff-session", json={"token": new}).status_code == 401
        assert _who(client, token=colleague) == 200  # nobody else is touched

    again = runner.invoke(main, ["staff", "deactivate", "sam@acme.test"])
    assert again.exit_code == 0 and "deactivated already: nothing done" in again.output
    refused = runner.invoke(main, ["staff", "new-token", "sam@acme.test"])
    assert refused.exit_code == 1
    assert (
        refused.output == "Error: staff user sam@acme.test is deactivated and gets no new token\n"
    )
    unknown = runner.invoke(main, ["staff", "deactivate", "nobody@acme.test"])
    assert unknown.exit_code == 1
    assert unknown.output == "Error: no staff user has the email 'nobody@acme.test'\n"
    database = Database(database_url)
    try:
        with database.transaction() as session:
            states = {m.email: m.active for m in staff.all_staff(session)}
            assert staff.staff_by_token(session, new) is None
            assert staff.staff_by_token(session, colleague) is not None
    finally:
        database.dispose()
    assert states == {"lee@acme.test": True, "sam@acme.test": False}

    listed = runner.invoke(main, ["staff", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "lee@acme.test  agent      active       Lee",
        "sam@acme.test  sales      deactivated  Sam",
    ]
    assert not any(token in listed.output for token in (old, new, colleague, "sbs_"))


def test_staff_list_on_an_empty_store_says_how_to_add_one(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    listed = runner.invoke(main, ["staff", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output == "no staff users yet: `switchboard staff create` adds one\n"


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


def test_chat_name_is_a_person_each_name_with_its_own_history(
    env: dict[str, str], database_url: str
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0

    def chat(*args: str) -> str:
        said = runner.invoke(main, ["chat", *args], input="hello\n")
        assert said.exit_code == 0, said.output
        return said.stdout

    assert "bot> Hi Ada! How can I help you today?" in chat("--name", "Ada Lovelace")
    bob = chat("--name", "Bob Builder")
    assert "bot> Hi Bob! How can I help you today?" in bob and "Ada" not in bob
    # The same name, spelt with other case and spacing, is the same person again.
    assert "Hi Ada!" in chat("--name", " ada  LOVELACE ")

    database = Database(database_url)
    try:
        with database.transaction() as session:
            found = {
                c.name: len(history.timeline(session, c.id))
                for c in customers.find_customers(session, email=None)
            }
    finally:
        database.dispose()
    assert found == {"Ada Lovelace": 4, "Bob Builder": 2}

    blank = runner.invoke(main, ["chat", "--name", "  "], input="hello\n")
    assert blank.exit_code == 2 and "give a name of 1 to 100 characters" in blank.output
    both = runner.invoke(main, ["chat", "--name", "Bob", "--as", "ada@example.com"])
    assert both.exit_code == 2 and "give --name or --as, not both" in both.output
    assert "Traceback" not in blank.output + both.output


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


@pytest.mark.parametrize("command", [["serve"], ["actions", "serve"]])
def test_a_port_past_65535_is_refused_before_anything_starts(command: list[str]) -> None:
    # The address lookup wrapped 99999 to 34463: the server listened there and said
    # 99999 in its log and banner, where nothing answered.
    refused = CliRunner().invoke(main, [*command, "--port", "99999"])
    assert refused.exit_code == 2, refused.output
    assert refused.output.endswith(
        "Error: Invalid value for '--port': 99999 is not in the range 1<=x<=65535.\n"
    )


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


def test_actions_serve_on_a_port_in_use_says_so_in_one_line() -> None:
    # Sanic said so in a traceback, after the command had printed the address it was on.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = CliRunner().invoke(main, ["actions", "serve", "--port", str(port)])
    assert refused.exit_code == 1, refused.output
    assert refused.output == (
        f"Error: port {port} on 127.0.0.1 is in use (another action server?): "
        "stop it or pick another with --port\n"
    )


def test_the_start_line_points_at_what_the_environment_serves() -> None:
    # The demo page at / is development's; in production there is no page at / to open,
    # only the widget's script to embed.
    assert "open http://localhost:8000/ to chat" in started_line("development", "localhost", 8000)
    production = started_line("production", "chat.example.com", 443)
    assert "http://chat.example.com:443/widget.js" in production
    assert "open http" not in production


def test_the_start_line_gives_the_public_address_when_one_is_set() -> None:
    # Behind a load balancer each process listens on a port of its own; the script tag
    # a shop embeds must name the address browsers reach, not one process.
    production = started_line("production", "localhost", 8952, "https://chat.example.com/")
    assert "embed https://chat.example.com/widget.js in your site's pages" in production
    assert "8952" not in production
    development = started_line("development", "localhost", 8000, "http://dev.example.com:9000")
    assert "open http://dev.example.com:9000/ to chat" in development
