"""How deeply a raw mail nests its MIME parts, read before the standard library parses it.

The `email` package parses a multipart or a message/* part by recursing into it (a chain
of generators, one per level): a mail nested a couple of thousand levels deep makes it
raise RecursionError, and every level on the way costs time on every line below it. So
the nesting is measured first, in one pass without recursion, and a mail nested deeper
than the limit is refused (`UnreadableMail`) instead of parsed.

The scan follows the structure the way the parser does: a header block whose
Content-Type is multipart with a boundary opens a level that its closing delimiter
(`--boundary--`) ends; a message/* part opens a level that ends with the part around it;
a delimiter of an outer boundary also ends every level opened inside it. It errs on the
side of counting more (a boundary that never closes stays open to the end), which only
matters for malformed mail far beyond any real nesting.
"""

from __future__ import annotations

import re

__all__ = ["MAX_MIME_DEPTH", "mime_depth"]

MAX_MIME_DEPTH = 20

_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))', re.IGNORECASE)
_FOLDED = re.compile(rb"\r?\n[ \t]+")
# message/delivery-status holds header blocks, not a message: the parser does not recurse.
_NOT_NESTED = frozenset({b"message/delivery-status"})


def mime_depth(raw: bytes, *, limit: int = MAX_MIME_DEPTH) -> int:
    """The deepest level of nested multipart and message/* parts in a raw mail (0 for a
    single-part mail); the scan stops as soon as it finds more than `limit` levels."""
    open_levels: list[bytes | None] = []  # a boundary per multipart; None per message/*
    deepest = 0
    header: list[bytes] = []
    in_header = True
    for line in raw.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n")
        delimiter = _delimiter(open_levels, bare) if bare.startswith(b"--") else None
        if delimiter is not None:
            in_header = delimiter == "part"  # a part's header follows; after the end, none
            header = []
            continue
        if not in_header:
            if not any(level is not None for level in open_levels):
                break  # a body outside any multipart: nothing below can open a level
            continue
        if bare:
            header.append(line)
            continue
        # The end of a header block: does this part open a level?
        in_header = False
        opened = _opened_level(b"".join(header))
        header = []
        if opened is not False:
            open_levels.append(opened)
            deepest = max(deepest, len(open_levels))
            if deepest > limit:
                break
            in_header = opened is None  # a message/* part: its own header comes next
    return deepest


def _opened_level(block: bytes) -> bytes | bool | None:
    """The boundary a header block opens, None for a message/* part, False for neither."""
    unfolded = _FOLDED.sub(b" ", block)
    for line in unfolded.splitlines():
        name, colon, value = line.partition(b":")
        if not colon or name.strip().lower() != b"content-type":
            continue
        media = value.split(b";", 1)[0].strip().lower()
        if media.startswith(b"multipart/"):
            found = _BOUNDARY.search(value)
            return (found.group(1) or found.group(2)) if found else False
        if media.startswith(b"message/") and media not in _NOT_NESTED:
            return None
        return False
    return False


def _delimiter(open_levels: list[bytes | None], line: bytes) -> str | None:
    """If `line` delimits an open boundary ("part" or "end"), end the levels opened
    inside that boundary, and for "end" the boundary itself; None when it is not one."""
    text = line.rstrip(b" \t")
    for index in range(len(open_levels) - 1, -1, -1):
        boundary = open_levels[index]
        if boundary is None:
            continue
        if text == b"--" + boundary:
            del open_levels[index + 1 :]
            return "part"
        if text == b"--" + boundary + b"--":
            del open_levels[index:]
            return "end"
    return None
