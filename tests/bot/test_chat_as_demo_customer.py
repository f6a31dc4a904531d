"""`switchboard chat --as EMAIL`: the terminal as a verified demo customer, in development
only and only for the seed's fixed demo customers."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from bot.cli import main
from crm_store import Database, customers, history

ORDER_QUESTION = "where is my order 4417?\n"


def chat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", *args],
        input=ORDER_QUESTION,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


def seed(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(main, ["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output


def test_chat_as_ada_gets_her_order_from_the_store(env: dict[str, str], database_url: str) -> None:
    seed(env)
    completed = chat(env, "--as", "ada@example.com")
    assert completed.returncode == 0, completed.stderr
    assert "bot> Order 4417 is on its way" in completed.stdout
    database = Database(database_url)
    try:
        with database.transaction() as session:
            (ada,) = customers.find_customers(session, email="ada@example.com")
            rows = history.timeline(session, ada.id)
    finally:
        database.dispose()
    # The terminal joined Ada's own record, as a verified channel does.
    assert [(r.channel, r.author) for r in rows][-2:] == [
        ("terminal", "customer"),
        ("terminal", "bot"),
    ]


# The two refusals come before any database is opened: no store is made or seeded for
# them (each saved CI its 20 to 30 s), and an unmigrated PostgreSQL does not stand in
# the way of the reason.
def test_chat_as_anyone_else_is_refused(env: dict[str, str]) -> None:
    completed = chat(env, "--as", "someone@example.com")
    assert completed.returncode == 1
    assert "only a demo customer's email" in completed.stderr
    assert "ada@example.com" in completed.stderr
    assert "bot>" not in completed.stdout


def test_chat_as_in_production_is_refused(env: dict[str, str]) -> None:
    production = {
        **env,
        "SWITCHBOARD_ENVIRONMENT": "production",
        "SWITCHBOARD_WEBCHAT__SECRET_KEY": "x" * 40,
    }
    completed = chat(production, "--as", "ada@example.com")
    assert completed.returncode == 1
    assert "refused in production" in completed.stderr
    assert "bot>" not in completed.stdout


def test_chat_as_before_the_demo_seed_says_to_seed(env: dict[str, str]) -> None:
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    completed = chat(env, "--as", "ada@example.com")
    assert completed.returncode == 1
    assert "run `switchboard demo seed` first" in completed.stderr
