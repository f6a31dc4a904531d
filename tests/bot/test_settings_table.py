"""The README's "Settings" table names every setting the code reads, and only those:
an operator configures from that table, so a setting missing there does not exist for
them, and a row the code no longer reads is silently ignored (`extra="ignore"`)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from bot.settings import Rate, Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _settings_in_code(model: type[BaseModel], prefix: str = "SWITCHBOARD_") -> set[str]:
    """Every environment variable of the settings: nested models joined with `__`,
    a rate limit (`Rate`) being one JSON value."""
    names = set()
    for field, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel) and kind is not Rate:
            names |= _settings_in_code(kind, f"{prefix}{field.upper()}__")
        else:
            names.add(prefix + field.upper())
    return names


def _settings_in_readme() -> set[str]:
    """The first cell of each row of the "## Settings" table. A cell may name siblings
    after the first (`SWITCHBOARD_SUPPORT__OPENS` / `__CLOSES`, `..._START` / `_END`):
    `__X` replaces what follows the last `__`, `_X` the last `_` part."""
    section = README.read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for cell in re.findall(r"^\| (`SWITCHBOARD_[^|]*)\|", section, re.MULTILINE):
        first, *siblings = re.findall(r"`([A-Z_]+)`", cell)
        names.add(first)
        for sibling in siblings:
            cut = "__" if sibling.startswith("__") else "_"
            names.add(first.rsplit(cut, 1)[0] + sibling)
    return names


def test_the_readme_settings_table_names_every_setting_and_no_other() -> None:
    in_code, in_readme = _settings_in_code(Settings), _settings_in_readme()
    assert sorted(in_code - in_readme) == [], "settings missing from the README table"
    assert sorted(in_readme - in_code) == [], "README rows the code does not read"
