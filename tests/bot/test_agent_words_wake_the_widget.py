"""What an agent sends a web chat customer (the claim's greeting, a reply, the closing)
wakes the customer's open widget sockets as soon as it is committed
(bot/handoffs/service.py `live_channels`), not when the delivery worker has claimed its
outbox row; the row is still left for the worker, and other channels are left to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.handoffs.service import HandoffService
from crm_store import Database, staff, upgrade
from crm_store.models import Interaction, OutboxMessage
from tests.support.fakes import RecordingAgentDesk
from tests.support.handoffs import handed_off


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """SQLite only: the order of commit and wake-up does not depend on the database."""
    url = f"sqlite:///{tmp_path / 'switchboard.db'}"
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def handed_off_to_agent(database: Database, channel: str, address: str) -> tuple[int, int]:
    """(handoff id, agent id): a customer's chat on `channel`, handed to a person."""
    handoff_id = handed_off(database, channel, address)
    with database.transaction() as session:
        agent, _ = staff.create_staff(
            session, name=f"Grace {channel}", email=f"grace-{channel}@acme.test", role="agent"
        )
    return handoff_id, agent.id


async def test_a_web_customers_sockets_are_woken_at_commit_and_the_row_left_to_the_worker(
    database: Database,
) -> None:
    woken: list[tuple[str, list[str]]] = []
    worker_woken: list[bool] = []

    def wake_sockets(address: str) -> None:
        # What a woken socket reads: the store as committed, from another session.
        with database.transaction() as session:
            texts = session.scalars(
                select(Interaction.text).where(Interaction.direction == "out")
            ).all()
        woken.append((address, list(texts)))

    service = HandoffService(
        database,
        RecordingAgentDesk(),
        outbox_written=lambda: worker_woken.append(True),
        live_channels={"web": wake_sockets},
    )
    handoff_id, agent_id = handed_off_to_agent(database, "web", "ws_session_1")

    assert (await service.claim(handoff_id, agent_id)).won
    await service.reply(handoff_id, agent_id, "Hi, Grace here.")
    await service.reply(handoff_id, agent_id, "refund approved by finance", note=True)
    assert await service.resolve(handoff_id, agent_id)

    greeting = "Grace from our support team has joined the conversation."
    assert [address for address, _ in woken] == ["ws_session_1"] * 3  # not for the note
    assert woken[0][1] == [greeting]
    assert woken[1][1] == [greeting, "Hi, Grace here."]
    assert woken[2][1][:2] == [greeting, "Hi, Grace here."] and len(woken[2][1]) == 3
    assert worker_woken == [True] * 3
    with database.transaction() as session:
        rows = session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
    assert rows == ["pending"] * 3  # the worker still sends (and records) each one


async def test_an_sms_customer_is_left_to_the_delivery_worker(database: Database) -> None:
    woken: list[str] = []
    worker_woken: list[bool] = []
    service = HandoffService(
        database,
        RecordingAgentDesk(),
        outbox_written=lambda: worker_woken.append(True),
        live_channels={"web": woken.append},
    )
    handoff_id, agent_id = handed_off_to_agent(database, "sms", "+15550100")

    assert (await service.claim(handoff_id, agent_id)).won
    await service.reply(handoff_id, agent_id, "Hi, Grace here.")

    assert woken == []
    assert worker_woken == [True, True]
