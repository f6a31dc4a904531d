"""`switchboard --help` and each group's `--help` list every command with its first
sentence whole, wrapped at the terminal's width, never cut short with "..."."""

from __future__ import annotations

import importlib.metadata

import click
from click.testing import CliRunner

from bot.cli import main


def _groups(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            found.extend(_groups(command, (*path, name)))
    return found


def test_every_groups_command_list_says_each_first_sentence_whole() -> None:
    runner = CliRunner()
    groups = _groups(main)
    assert ("staff",) in groups and ("campaigns",) in groups and ("kb",) in groups
    for path in groups:
        shown = runner.invoke(main, [*path, "--help"], terminal_width=80)
        assert shown.exit_code == 0, shown.output
        listed = shown.output.split("Commands:\n", 1)[1]
        assert "..." not in listed, (path, listed)
        assert all(len(line) <= 80 for line in listed.splitlines()), (path, listed)
    staff_help = runner.invoke(main, ["staff", "--help"], terminal_width=80).output
    assert "print its API token (shown once, on the\n" in staff_help
    assert "last line)." in staff_help


def test_version_says_the_installed_release() -> None:
    shown = CliRunner().invoke(main, ["--version"])
    assert shown.exit_code == 0
    assert shown.output == f"switchboard {importlib.metadata.version('switchboard')}\n"
