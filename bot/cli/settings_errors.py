"""Settings a command cannot start with, told in the operator's words.

Pydantic's own message names a field by its path (`support.timezone`), appends a link to
its documentation site and shows the input; for a check across settings (the Slack token
needs its signing secret) that input is every setting given, cut to its first and last
characters, which can show a token in full. The operator sets environment variables,
so each problem is given as the variable to change and what is wrong with it, and an
input only for a setting that is neither a secret nor a URL (a database URL holds its
password).
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import types
import typing
from collections.abc import Mapping

import click
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import SettingsError

from bot.settings import Settings

__all__ = [
    "explain",
    "explain_unparsed",
    "load_settings",
    "unknown_settings",
    "warn_unknown_settings",
]

PREFIX = "SWITCHBOARD_"

log = logging.getLogger("switchboard")


def load_settings(*, warn_unknown: bool = True) -> Settings:
    """The settings from the environment, or a one-line-per-problem error for the CLI.
    A SWITCHBOARD_ variable that names no setting but looks like one (a typo) is
    named, with the setting it is closest to: in the error when there is one (a
    misspelt required setting is otherwise reported as "must be set"), else on standard
    error (`warn_unknown=False`: the caller logs them, once logging is set up)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.ClickException(_with_unknown(explain(exc))) from exc
    except SettingsError as exc:
        raise click.ClickException(_with_unknown(explain_unparsed(exc, os.environ))) from exc
    if warn_unknown:
        for line in unknown_settings(os.environ):
            click.echo(f"Warning: {line}", err=True)
    return settings


def warn_unknown_settings() -> None:
    """Log a warning for each variable `unknown_settings` finds in the environment: the
    server's way to say it, in its log format."""
    for line in unknown_settings(os.environ):
        log.warning(line)


def _with_unknown(message: str) -> str:
    return "\n".join([message, *unknown_settings(os.environ)])


def unknown_settings(environ: Mapping[str, str]) -> list[str]:
    """A line for each variable that looks like a setting and is none, so it is ignored:
    one under a section that exists (`SWITCHBOARD_TWILIO__ACOUNT_SID`) or close to a
    setting's name (`SWITCHBOARD_LOG_LEVEL`, `SWITCHBOARD_DATABSE__URL`). Other
    SWITCHBOARD_ variables (compose's SWITCHBOARD_REPLICAS, the tests' own) are left
    alone. Names are compared without case, as the settings read them."""
    known = _setting_names(Settings, PREFIX)
    sections = {name for name, is_section in known.items() if is_section}
    leaves = sorted(name for name, is_section in known.items() if not is_section)
    lines = []
    for given in sorted(environ):
        name = given.upper()
        if not name.startswith(PREFIX) or name in known:
            continue
        close = difflib.get_close_matches(name, leaves, n=1, cutoff=0.8)
        if not close and name.split("__")[0] not in sections:
            continue
        hint = f"did you mean {close[0]}?" if close else 'README "Settings" lists them'
        lines.append(f"{given} is not a setting, so it is ignored: {hint}")
    return lines


def _setting_names(model: type[BaseModel], prefix: str) -> dict[str, bool]:
    """Every variable name a setting is read from, whether it names a section (a group
    of settings, which may also be given whole as JSON)."""
    names: dict[str, bool] = {}
    for field_name, field in model.model_fields.items():
        name = prefix + field_name.upper()
        nested = _model_in(field.annotation)
        names[name] = nested is not None
        if nested is not None:
            names.update(_setting_names(nested, name + "__"))
    return names


def explain_unparsed(exc: SettingsError, environ: Mapping[str, str]) -> str:
    """A setting that takes JSON (a list, a rate limit) given text that is not JSON.
    pydantic-settings names only the section ("support"); the variable is the one of
    that section holding the text its JSON parser refused. Its value is not shown: it
    could be any setting's."""
    section = re.search(r'field "(\w+)"', str(exc))
    cause = exc.__cause__
    if section is None or not isinstance(cause, json.JSONDecodeError):
        return f"invalid settings: {exc}"
    start = f"{PREFIX}{section.group(1)}".upper()
    names = sorted(
        name.upper()
        for name, value in environ.items()
        if name.upper().startswith(start) and value == cause.doc
    )
    where = " or ".join(names) or f"a {start}* setting"
    return (
        f"invalid settings (1):\n  {where}: not JSON ({cause.msg}); this setting takes a "
        'JSON value, as README "Settings" shows it (e.g. [0,1,2,3,4], ["https://a.example"])'
    )


def explain(exc: ValidationError) -> str:
    """One line per problem: the environment variable, what is wrong, and the value
    given when it is safe to show."""
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:  # a check across settings: its message names them, a line each
            lines.extend(f"  {problem}" for problem in message.splitlines())
            continue
        shown = f" (got {error['input']!r})" if _may_show_input(error) else ""
        lines.append(f"  {_variable(error['loc'])}: {message}{shown}")
    return "\n".join([f"invalid settings ({len(lines)}):", *lines])


def _variable(loc: tuple[int | str, ...]) -> str:
    """`("support", "timezone")` -> `SWITCHBOARD_SUPPORT__TIMEZONE`; a list's item is
    named after its list (`SWITCHBOARD_SUPPORT__WEEKDAYS, item 7`)."""
    names = [str(part).upper() for part in loc if isinstance(part, str)]
    items = [str(part) for part in loc if isinstance(part, int)]
    return PREFIX + "__".join(names) + (f", item {items[0]}" if items else "")


def _may_show_input(error: ErrorDetails) -> bool:
    """Whether the value given may be printed: not for a secret, a URL or a whole
    section given at once (which could hold either)."""
    model: type[BaseModel] = Settings
    annotation: object = None
    for part in error["loc"]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return False
        annotation = field.annotation
        nested = _model_in(annotation)
        if nested is not None:
            model = nested
    last = str(error["loc"][-1])
    if last.endswith("url") or _model_in(annotation) is not None:
        return False
    return not _mentions(annotation, SecretStr)


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The settings model a field holds (through `X | None`), if it holds one."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _mentions(annotation: object, kind: type) -> bool:
    if annotation is kind:
        return True
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        return any(_mentions(arg, kind) for arg in typing.get_args(annotation))
    return False
