"""The `Authentication-Results` header (RFC 8601), read: which receiver wrote it (the
authserv-id) and each result it reports (`dkim=pass header.d=example.com`, ...).

The grammar allows comments (nested, anywhere white space may be), quoted values,
several resinfos in one header, a version after the authserv-id, `none` for no result,
and method versions (`dkim/1`). Real receivers add their own habits: Microsoft 365
writes no authserv-id at all and no space after ';', Fastmail quotes values and adds
`policy.*` properties. The reader is lenient where that costs nothing: what it cannot
read is skipped to the next ';', never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

HEADER = "Authentication-Results"


@dataclass(frozen=True, slots=True)
class MethodResult:
    """One resinfo: `dkim=pass (comment) header.d=example.com header.s=s1`."""

    method: str  # lower-case, without a method version ("dkim", not "dkim/1")
    result: str  # lower-case: pass, fail, none, neutral, temperror, ...
    reason: str | None = None
    properties: dict[str, str] = field(default_factory=dict)  # "header.from" -> value

    def get(self, name: str) -> str | None:
        return self.properties.get(name)


@dataclass(frozen=True, slots=True)
class AuthenticationResults:
    """One Authentication-Results header. `authserv_id` is None for a header that names
    no receiver (Microsoft 365 writes them that way)."""

    authserv_id: str | None
    version: str | None = None
    results: tuple[MethodResult, ...] = ()

    def of(self, method: str) -> list[MethodResult]:
        return [result for result in self.results if result.method == method]


class _Scanner:
    """Reads an RFC 8601 payload: values, quoted strings, and CFWS (folding white space
    and comments, which nest and may hold quoted pairs) skipped between them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_cfws(self) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r\n":
                self.pos += 1
            elif char == "(":
                self._skip_comment()
            else:
                return

    def _skip_comment(self) -> None:
        depth = 0
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            self.pos += 1
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return
        # an unclosed comment runs to the end

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def value(self, stops: str = "") -> str | None:
        """A quoted string (unquoted) or a run of characters up to white space, a
        comment, ';', '"' or any of `stops`; None when there is none here."""
        if self.peek() == '"':
            return self._quoted()
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] not in ' \t\r\n();"' + stops:
            self.pos += 1
        return text[start : self.pos] if self.pos > start else None

    def _quoted(self) -> str:
        self.pos += 1  # the opening quote
        out = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\" and self.pos + 1 < len(text):
                out.append(text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == '"':
                break
            out.append(char)
        return "".join(out)

    def skip_to_semicolon(self) -> None:
        """Past something unreadable, to the next resinfo (quotes and comments kept
        whole, so a ';' inside them is not taken for a separator)."""
        while not self.at_end() and self.peek() != ";":
            self.skip_cfws()
            if self.at_end() or self.peek() == ";":
                return
            if self.value() is None:
                self.pos += 1


def parse_authentication_results(value: str) -> AuthenticationResults:
    """One header's payload (the part after `Authentication-Results:`), read leniently:
    what cannot be read is skipped up to the next `;`, never guessed."""
    scanner = _Scanner(value.replace("\r\n", " ").replace("\n", " "))
    scanner.skip_cfws()
    start = scanner.pos
    authserv_id = scanner.value(stops="=")
    scanner.skip_cfws()
    version = None
    if authserv_id is not None and scanner.peek() == "=":
        # No authserv-id: the payload starts with a resinfo ("spf=pass ...").
        authserv_id = None
        scanner.pos = start
        results = _resinfos(scanner, first_needs_semicolon=False)
    else:
        if scanner.peek() not in (";", ""):
            word = scanner.value()
            if word is not None and word.isdigit():
                version = word
            scanner.skip_cfws()
        results = _resinfos(scanner, first_needs_semicolon=True)
    return AuthenticationResults(
        authserv_id=authserv_id.lower() if authserv_id else None,
        version=version,
        results=tuple(results),
    )


def _resinfos(scanner: _Scanner, *, first_needs_semicolon: bool) -> list[MethodResult]:
    results: list[MethodResult] = []
    needs_semicolon = first_needs_semicolon
    while True:
        scanner.skip_cfws()
        if scanner.at_end():
            return results
        if needs_semicolon and not scanner.take(";"):
            scanner.skip_to_semicolon()
            continue
        needs_semicolon = True
        scanner.skip_cfws()
        if scanner.at_end():
            return results
        found = _resinfo(scanner)
        if found is not None:
            results.append(found)
        else:
            scanner.skip_to_semicolon()


def _resinfo(scanner: _Scanner) -> MethodResult | None:
    """`method[/version] = result [reason=value] [ptype.property=value ...]`; None for
    `none` (no results) and for anything unreadable."""
    method = scanner.value(stops="=")
    if method is None:
        return None
    scanner.skip_cfws()
    if not scanner.take("="):
        return None  # "none", or garbage
    scanner.skip_cfws()
    result = scanner.value(stops="=")
    if result is None:
        return None
    reason: str | None = None
    properties: dict[str, str] = {}
    while True:
        scanner.skip_cfws()
        if scanner.at_end() or scanner.peek() == ";":
            break
        key = scanner.value(stops="=")
        if key is None:
            scanner.pos += 1  # a stray character: step over it
            continue
        scanner.skip_cfws()
        if not scanner.take("="):
            continue  # a word with no value: not a property
        scanner.skip_cfws()
        # A property value may itself hold '=' (base64 signature fragments).
        found = scanner.value() or ""
        if key.lower() == "reason":
            reason = found
        else:
            properties.setdefault(key.lower(), found)
    return MethodResult(
        method=method.split("/", 1)[0].strip().lower(),
        result=result.lower(),
        reason=reason,
        properties=properties,
    )


def authentication_headers(message: Message) -> list[AuthenticationResults]:
    """Every Authentication-Results header of a mail, topmost (newest) first."""
    return [
        parse_authentication_results(str(value))
        for key, value in message.raw_items()
        if key.lower() == HEADER.lower()
    ]
