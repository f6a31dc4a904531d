"""`action_account_summary`: sales and admins get the summary; everyone else the same
refusal, whether the account exists or not."""

from __future__ import annotations

from typing import Any

import pytest

from actions.context import STAFF_ROLE
from actions.executor import build_executor
from crm_store import Database
from demo.seed import seed_demo
from tests.support.action_calls import call


def summary_call(text: str, account: str, role: str | None) -> dict[str, Any]:
    action_call = call(
        "action_account_summary", text, entities=[{"entity": "account", "value": account}]
    )
    action_call["tracker"]["slots"][STAFF_ROLE] = role
    return action_call


async def reply(database: Database, action_call: dict[str, Any]) -> str:
    result = await build_executor(database).run(action_call)
    assert result is not None
    (response,) = result.responses
    return str(response["text"])


@pytest.fixture
def demo_database(database: Database) -> Database:
    with database.transaction() as session:
        seed_demo(session)
    return database


async def test_sales_get_the_summary_and_others_a_refusal_that_reveals_nothing(
    demo_database: Database,
) -> None:
    summary = await reply(demo_database, summary_call("summary for Acme", "Acme Corp", "sales"))
    assert summary.startswith("Summary: Acme Corp") and "Ada Lovelace" in summary
    for role in (None, "agent"):
        real = await reply(demo_database, summary_call("summary for Acme", "Acme Corp", role))
        made_up = await reply(demo_database, summary_call("summary for Zyx", "Zyxcorp", role))
        assert real == made_up == "I can't share account information here."


async def test_a_misspelt_account_gets_the_names_close_to_it(demo_database: Database) -> None:
    answer = await reply(demo_database, summary_call("summary for Globx", "Globx", "sales"))
    assert answer == "I found no account or customer matching “Globx”. Did you mean Globex?"
    # Close names are for sales only, like the summary: a refusal still says nothing.
    refused = await reply(demo_database, summary_call("summary for Globx", "Globx", "agent"))
    assert refused == "I can't share account information here."
