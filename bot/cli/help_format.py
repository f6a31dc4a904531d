"""Command lists in `--help` with each command's first sentence whole, wrapped under it,
rather than cut to the terminal's width with "..." (click's default)."""

from __future__ import annotations

import click

# Longer than any first sentence here: click wraps the text to the terminal instead.
_WHOLE_SENTENCE = 300


class WholeHelpGroup(click.Group):
    """A command group whose `--help` lists its commands' first sentences in full."""

    # Groups declared on one of these (`@main.group()`) are of the same class.
    group_class = type

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.get_short_help_str(limit=_WHOLE_SENTENCE)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
