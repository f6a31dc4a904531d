"""`owner=me|<staff id>`, the filter the handoff queue and the lead list share: "me" is
the caller; an id is checked against the ids the store can hold, so nineteen nines are
a 422 naming the field and not a database overflow (a 500 until now)."""

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

from crm_store.base import MAX_ID

__all__ = ["Owner", "owner_id"]


def _a_staff_id_or_me(value: str | None) -> str | None:
    # Runs before the Query's pattern: a word got Python's "invalid literal for int()
    # with base 10: 'someone'" as its reason.
    if value is None or value == "me":
        return value
    if not value.isascii() or not value.isdigit() or value.startswith("0"):
        raise ValueError(f"give a staff id or me, not {value!r}")
    if int(value) > MAX_ID:
        raise ValueError(f"a staff id is at most {MAX_ID}")
    return value


Owner = Annotated[
    str | None,
    AfterValidator(_a_staff_id_or_me),
    Query(pattern=r"^(me|[1-9][0-9]{0,18})$", max_length=19, description="a staff id, or me"),
]


def owner_id(owner: str | None, caller_id: int) -> int | None:
    """The staff id `owner` names (the caller's for "me"), or None for anyone's."""
    if owner is None:
        return None
    return caller_id if owner == "me" else int(owner)
