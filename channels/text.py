"""Text a store can keep: no NUL characters, no lone UTF-16 surrogates.

PostgreSQL refuses NUL in text and no database can store a lone surrogate as UTF-8, so
such input is refused at the edge with a 4xx and a reason, before anything is stored.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (lone surrogate found)") from None
    return value


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


StorableStr = Annotated[str, AfterValidator(storable)]
MessageText = Annotated[str, AfterValidator(storable), AfterValidator(not_blank)]
