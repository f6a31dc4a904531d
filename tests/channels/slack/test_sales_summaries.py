"""Sales ask Slack for account summaries: slash command and app mention, sales and admin
only, candidates for ambiguous queries, Block Kit sections and fields."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from crm_store.models import Account
from tests.support.app import add_staff, eventually, services
from tests.support.slack_cards import field_texts
from tests.support.slack_requests import Slack
from tests.support.slack_standin import BOT_USER, SlackStandIn

MARTA, SAM = "UMARTA0001", "USAM000001"


def test_a_sales_user_gets_the_summary_as_blocks(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Marta Ruiz", "marta@example.com", "sales", MARTA)
    # The seed writes her order straight into the store, so her stage is the stage job's
    # to set; its first pass starts with the app and may run before or after the seed.
    # One pass here, as the job's next would, makes the test not depend on which.
    stages = services(slack_client).lifecycle_stages
    assert stages is not None
    stages.run_once()
    assert slack.command(MARTA, "summary Acme Corp").status_code == 200
    (answer,) = eventually(lambda: standin.responses)
    assert answer["response_type"] == "ephemeral"
    blocks = answer["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Acme Corp"}}
    fields = field_texts(blocks)
    assert "*Stage*\ncustomer" in fields  # her one order made her a customer
    # Spent so far, labelled so: the dashboard's "Lifetime value" is a prediction.
    assert "*Lifetime spend*\nUSD 129.00 (1 order)" in fields
    assert any(f.startswith("*Lifetime spend*\nUSD 129.00") for f in fields)
    assert any(f.startswith("*Last purchase*\n4417") for f in fields)
    assert "Ada Lovelace" in json.dumps(blocks)
    assert not any(b.get("text", {}).get("text", "").lstrip().startswith("{") for b in blocks)


def test_anyone_else_is_refused_without_learning_anything(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    slack.command(SAM, "summary Acme Corp")
    slack.command(SAM, "summary No Such Company")
    slack.command("UNOBODY001", "summary Acme Corp")
    answers = eventually(lambda: standin.responses if len(standin.responses) == 3 else None)
    assert {a["text"] for a in answers} == {"Sorry, account summaries are only for the sales team."}
    assert all("blocks" not in a for a in answers)


def test_an_ambiguous_query_lists_the_candidates(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    with services(slack_client).database.transaction() as session:
        session.add(Account(name="Acme Widgets", attributes={}))
    add_staff(slack_client, "Ana Admin", "ana@example.com", "admin", "UANA000001")
    slack.command("UANA000001", "summary acme")
    (answer,) = eventually(lambda: standin.responses)
    text = json.dumps(answer["blocks"])
    assert "2 accounts or customers match" in text
    assert "Acme Corp (account)" in text and "Acme Widgets (account)" in text


def test_a_misspelt_name_is_answered_with_the_names_close_to_it(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Marta Ruiz", "marta@example.com", "sales", MARTA)
    slack.command(MARTA, "summary Acme Crop")
    (answer,) = eventually(lambda: standin.responses)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "No account or customer matches “Acme Crop”. Did you mean Acme Corp?"
    shown = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "Did you mean:" in shown and "• Acme Corp (account)" in shown


def test_a_mention_asks_for_a_summary_and_only_the_asker_sees_it(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Marta Ruiz", "marta@example.com", "sales", MARTA)
    slack.event(
        {
            "type": "app_mention",
            "channel": "CSALES0001",
            "user": MARTA,
            # An address typed in a message reaches the app as Slack's mailto link.
            "text": f"<@{BOT_USER}> summary for <mailto:ada@example.com|ada@example.com>",
            "ts": "1800000002.000100",
        }
    )
    (reply,) = eventually(lambda: standin.made("chat.postEphemeral"))
    assert (reply.arguments["channel"], reply.arguments["user"]) == ("CSALES0001", MARTA)
    assert (
        reply.arguments["blocks"][0]["text"]["text"]
        == "Ada Lovelace <ada@example.com>, Acme Corp (customer)"
    )
    slack.command(MARTA, "help")
    (usage,) = eventually(lambda: standin.responses)
    assert usage["text"].startswith("Try `/switchboard summary")
