"""The hint a Slack user who is not staff gets names a `staff create` command the CLI
accepts as it stands: every required option is there."""

from __future__ import annotations

import re
import shlex

from bot.cli.main import main
from channels.slack.agents import UNMAPPED


def test_the_ask_an_admin_hint_is_a_complete_staff_create_command() -> None:
    hint = UNMAPPED.format(user="U0123ABCD")
    (command,) = re.findall(r"`(switchboard staff create[^`]*)`", hint)
    argv = shlex.split(command)[1:]
    staff_group = main.get_command(None, "staff")  # type: ignore[arg-type]
    create = staff_group.get_command(None, "create")  # type: ignore[union-attr,arg-type]
    # make_context parses the options and refuses a missing required one.
    context = create.make_context("create", argv[2:])  # type: ignore[union-attr]
    assert context.params["slack_user_id"] == "U0123ABCD"
    assert context.params["role"] == "agent" and context.params["name"] and context.params["email"]
