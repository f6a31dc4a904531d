"""Reading what the app posted to the Slack Web API stand-in: the handoff card, its
thread and its buttons, and Block Kit fields."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from crm_store.models import Handoff
from tests.support.app import eventually, services
from tests.support.slack_standin import SlackStandIn


def card_of(standin: SlackStandIn) -> dict[str, Any]:
    """The one handoff card posted to the handoff channel (waits for it)."""
    (card,) = eventually(lambda: standin.posted())
    return card  # type: ignore[no-any-return]


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card["blocks"], ensure_ascii=False)


def handoff_id_on(card: dict[str, Any]) -> int:
    """The handoff id the card's buttons carry."""
    actions = next(b for b in card["blocks"] if b["type"] == "actions")
    return int(actions["elements"][0]["value"])


def wait_thread_ts(client: TestClient) -> str:
    """The card's thread, once the handoff has recorded it."""

    def ts() -> str | None:
        with services(client).database.transaction() as session:
            return session.scalars(select(Handoff.slack_thread_ts)).first()

    return str(eventually(ts))


def field_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for b in blocks for f in b.get("fields", [])]
