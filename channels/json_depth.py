"""How deeply a JSON document nests, measured without parsing it.

Python's `json` parser recurses into every array and object and raises RecursionError
about a thousand levels down (a 500, not a 400), and whatever walks the result recurses
again. A request is refused before that: this scan skips string literals (brackets inside
them do not count) and counts brackets, in one pass and without recursion. It does not
check that the document is valid JSON; the parser does that afterwards.
"""

from __future__ import annotations

import re

__all__ = ["MAX_JSON_DEPTH", "JsonTooDeep", "check_json_depth"]

MAX_JSON_DEPTH = 32

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_OPENING = frozenset(b"[{")


class JsonTooDeep(ValueError):
    """A JSON document nested deeper than the limit."""


def check_json_depth(document: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise `JsonTooDeep` when arrays and objects in `document` nest deeper than `limit`."""
    data = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    outside = _STRING.sub(b"", data)
    unterminated = outside.find(b'"')
    if unterminated >= 0:  # the rest is inside a string that never ends
        outside = outside[:unterminated]
    depth = 0
    for byte in _NOT_BRACKET.sub(b"", outside):
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                raise JsonTooDeep(f"JSON is nested deeper than {limit} levels")
        else:
            depth -= 1
