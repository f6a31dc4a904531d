"""Store access for actions: one short transaction, off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from anyio import to_thread
from rasa_sdk import Action
from sqlalchemy.orm import Session

from crm_store import Database

T = TypeVar("T")


async def in_transaction(database: Database, work: Callable[[Session], T]) -> T:
    def run() -> T:
        with database.transaction() as session:
            return work(session)

    return await to_thread.run_sync(run)


class StoreAction(Action):
    """An action that reads or writes the CRM store (`self._db`)."""

    def __init__(self, database: Database) -> None:
        self._db = database
