"""The `switchboard` command line: `main` is the entry point (`python -m bot.cli` too)."""

from bot.cli.main import main

__all__ = ["main"]
