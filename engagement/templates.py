"""Campaign messages: Jinja2 templates in the sandbox, over the customer's fields.

The sandbox keeps a template from reaching Python internals (a marketer's template is
not code we trust). Undefined names fail (`StrictUndefined`), and a field the customer
does not have (no name on file) is left out of the context rather than set to None, so
`Hi {{ first_name }}` fails for that customer at preview with the field named, and
`Hi {{ first_name | default("there") }}` is how a template says what to use instead.
A name that is no field at all (`{{ frist_name }}`) is refused when the campaign is
saved, with the fields listed: no customer could ever have it.

A template that fails while rendering (`{{ order_count + "a" }}`, a range over the
sandbox's 100,000) fails for that customer with the reason, as a missing field does:
the marketer's mistake is told at the preview and at scheduling, never a server error.
Repeating text (`"x" * n`) and powers are checked before they are worked out, and a
part that renders longer than a template may be (`BODY_LIMIT`, `SUBJECT_LIMIT`) is
refused, so a template cannot make a message no channel would carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from engagement.errors import InvalidCampaign

__all__ = ["BODY_LIMIT", "SUBJECT_LIMIT", "TEMPLATE_FIELDS", "CustomerFields", "Renderer"]

# The most characters a body or subject may have, as written and as rendered.
BODY_LIMIT = 20_000
SUBJECT_LIMIT = 300
PART_LIMITS = {"body": BODY_LIMIT, "subject": SUBJECT_LIMIT}
# The largest exponent `**` takes: 10 ** 300 is already past any amount in a message.
POWER_LIMIT = 300

# What `CustomerFields.context` may hold: the names a template can use.
TEMPLATE_FIELDS = (
    "first_name",
    "name",
    "email",
    "phone",
    "lifecycle_stage",
    "account_name",
    "order_count",
    "spend",
    "currency",
    "spend_with_currency",
    "last_order_date",
    "attributes",
    "customer_id",
)


# The currencies written with a sign before the amount; any other is its code after it.
_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(cents: int, currency: str) -> str:
    """`cents` as a customer reads it: "$1,222.00", "€89.50", "1,222.00 CAD"."""
    amount = f"{cents / 100:,.2f}"
    sign = _SIGNS.get(currency)
    return f"{sign}{amount}" if sign else f"{amount} {currency}"


@dataclass(frozen=True, slots=True)
class CustomerFields:
    """What a template may read of one customer."""

    id: int
    name: str | None
    email: str | None
    phone: str | None
    lifecycle_stage: str
    attributes: dict[str, Any]
    account_name: str | None
    order_count: int
    spend_cents: int
    last_order_at: datetime | None
    # The one currency of their purchases (ISO code); None with none, or with several
    # (then `spend` adds amounts of different currencies and says nothing true).
    currency: str | None = None

    def context(self) -> dict[str, Any]:
        first = self.name.split()[0] if self.name and self.name.split() else None
        found: dict[str, Any] = {
            "customer_id": self.id,
            "name": self.name,
            "first_name": first,
            "email": self.email,
            "phone": self.phone,
            "lifecycle_stage": self.lifecycle_stage,
            "account_name": self.account_name,
            "order_count": self.order_count,
            "spend": f"{self.spend_cents / 100:.2f}",
            "currency": self.currency,
            "spend_with_currency": money(self.spend_cents, self.currency)
            if self.currency
            else None,
            "last_order_date": self.last_order_at.date().isoformat()
            if self.last_order_at
            else None,
            "attributes": {k: v for k, v in self.attributes.items() if v is not None},
        }
        return {k: v for k, v in found.items() if v is not None}


class _CampaignSandbox(SandboxedEnvironment):
    """The sandbox, with `*` and `**` checked before Python works them out (a string
    repeated a billion times would take the memory before any length check)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > POWER_LIMIT:
                raise SecurityError(f"a power over {POWER_LIMIT} is refused")
            return left**right
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                repeated = isinstance(text, str | list | tuple) and isinstance(times, int)
                if repeated and len(text) * times > BODY_LIMIT:
                    raise SecurityError(f"repeating that makes more than {BODY_LIMIT:,} items")
            return left * right
        return super().call_binop(context, operator, left, right)


class Renderer:
    """Compiles a campaign's templates once and renders them per customer."""

    def __init__(self, content: dict[str, dict[str, str]]) -> None:
        self._env = _CampaignSandbox(undefined=StrictUndefined, autoescape=False)
        self._compiled: dict[tuple[str, str], Any] = {}
        self._unknown: list[str] = []
        for step, parts in content.items():
            for part, text in parts.items():
                where = f"content.{step}.{part}"
                try:
                    parsed = self._env.parse(text)
                    self._compiled[(step, part)] = self._env.from_string(parsed)
                except TemplateSyntaxError as exc:
                    raise InvalidCampaign(
                        f"{where}: template error on line {exc.lineno}: {exc.message}"
                    ) from None
                unknown = sorted(
                    meta.find_undeclared_variables(parsed)
                    - set(TEMPLATE_FIELDS)
                    - set(self._env.globals)
                )
                if unknown:
                    self._unknown.append(
                        f"{where}: no field named {', '.join(map(repr, unknown))}; "
                        f"a template can use {', '.join(TEMPLATE_FIELDS)}"
                    )

    def check_fields(self) -> None:
        """Raise `InvalidCampaign` for a name that is no field. Called when a campaign
        is saved, not here in the constructor: one saved before this check still
        previews and sends, failing per customer as a missing field does."""
        if self._unknown:
            raise InvalidCampaign(self._unknown[0])

    def render(self, step: str, fields: CustomerFields) -> dict[str, str]:
        """Every part of `step` (body, subject) for this customer; raises
        `InvalidCampaign` naming the part and what was missing."""
        context = fields.context()
        rendered = {}
        for (name, part), template in self._compiled.items():
            if name != step:
                continue
            where = f"content.{step}.{part}"
            try:
                text = template.render(context).strip()
            except TemplateError as exc:
                raise InvalidCampaign(f"{where}: {exc}") from None
            except Exception as exc:
                # Only the template runs here, over plain values: whatever it raises
                # (a str added to a number, a range too big) is the template's mistake.
                raise InvalidCampaign(f"{where}: cannot be worked out: {exc}") from None
            limit = PART_LIMITS.get(part, BODY_LIMIT)
            if len(text) > limit:
                raise InvalidCampaign(
                    f"{where}: renders to {len(text):,} characters, over the {limit:,} "
                    "a message may have"
                )
            rendered[part] = text
        return rendered
