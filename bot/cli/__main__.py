"""`python -m bot.cli ...` runs the `switchboard` command."""

from bot.cli.main import main

main()
