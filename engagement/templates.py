"""Campaign messages: Jinja2 templates in the sandbox, over the customer's fields.

The sandbox keeps a template from reaching Python internals (a marketer's template is
not code we trust). Undefined names fail (`StrictUndefined`), and a field the customer
does not have (no name on file) is left out of the context rather than set to None, so
`Hi {{ first_name }}` fails for that customer at preview with the field named, and
`Hi {{ first_name | default("there") }}` is how a template says what to use instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from engagement.errors import InvalidCampaign

__all__ = ["CustomerFields", "Renderer"]


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
            "last_order_date": self.last_order_at.date().isoformat()
            if self.last_order_at
            else None,
            "attributes": {k: v for k, v in self.attributes.items() if v is not None},
        }
        return {k: v for k, v in found.items() if v is not None}


class Renderer:
    """Compiles a campaign's templates once and renders them per customer."""

    def __init__(self, content: dict[str, dict[str, str]]) -> None:
        self._env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._compiled: dict[tuple[str, str], Any] = {}
        for step, parts in content.items():
            for part, text in parts.items():
                try:
                    self._compiled[(step, part)] = self._env.from_string(text)
                except TemplateSyntaxError as exc:
                    raise InvalidCampaign(
                        f"content.{step}.{part}: template error on line {exc.lineno}: {exc.message}"
                    ) from None

    def render(self, step: str, fields: CustomerFields) -> dict[str, str]:
        """Every part of `step` (body, subject) for this customer; raises
        `InvalidCampaign` naming the part and what was missing."""
        context = fields.context()
        rendered = {}
        for (name, part), template in self._compiled.items():
            if name != step:
                continue
            try:
                rendered[part] = template.render(context).strip()
            except TemplateError as exc:
                raise InvalidCampaign(f"content.{step}.{part}: {exc}") from None
        return rendered
