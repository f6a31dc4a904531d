"""Which active webhook subscriptions hear which events, cached per database.

Every appended message emits `message.created`, and reading the subscriptions for it
was two of a web chat turn's round trips (bench/scale_out.py); they change a few times
a month. So the active subscriptions' (id, events) are kept in memory:

- a change made through this process (crm_store/webhook_subscriptions.py, or any ORM
  write of a `WebhookSubscription`) drops the cached list at once and again when its
  transaction ends, and the transaction that made it reads the table itself meanwhile;
- a read that raced with a change does not store what it read (a generation count);
- another process's change is seen within `MAX_AGE_SECONDS`, the safety net: an event
  emitted in another process in those seconds after a subscription is created is not
  queued for it, and after one is turned off is queued but not sent while it is off
  (the queue claims rows of active subscriptions only). Decided so because a
  subscription's start is no transaction-exact boundary anyway (an event committed
  while it is being created may or may not be included), and a wake-up per change
  would add a listener's work for a table that hardly changes.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from crm_store.models import WebhookSubscription

__all__ = ["MAX_AGE_SECONDS", "forget", "listening_to"]

MAX_AGE_SECONDS = 5.0
_CHANGED = "switchboard_webhook_subscriptions_changed"

_lock = threading.Lock()
_generation = 0
# database key -> (read at, monotonic; [(subscription id, events)])
_cached: dict[str, tuple[float, list[tuple[int, frozenset[str]]]]] = {}


def _key(session: Session) -> str:
    engine = session.get_bind().engine
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return f"memory:{id(engine)}"  # each in-memory engine is a database of its own
    return url.render_as_string(hide_password=False)


def forget() -> None:
    """Drop every cached list (a subscription changed)."""
    global _generation
    with _lock:
        _generation += 1
        _cached.clear()


def _changing(session: Session) -> None:
    """The session writes subscriptions: forget now and when its transaction ends, and
    let it read the table itself until then (it sees its own uncommitted change)."""
    forget()
    if not session.info.get(_CHANGED):
        session.info[_CHANGED] = True
        event.listen(session, "after_commit", _ended, once=True)
        event.listen(session, "after_rollback", _ended, once=True)


def _ended(session: Session) -> None:
    session.info.pop(_CHANGED, None)
    forget()


def _written(_mapper: Any, _connection: Any, row: WebhookSubscription) -> None:
    session = object_session(row)
    if session is not None:
        _changing(session)
    else:
        forget()


for _kind in ("after_insert", "after_update", "after_delete"):
    event.listen(WebhookSubscription, _kind, _written)


def listening_to(session: Session, event_type: str) -> list[int]:
    """Ids of the active subscriptions that name `event_type`, oldest first."""
    return [id_ for id_, events in _active(session) if event_type in events]


def _active(session: Session) -> list[tuple[int, frozenset[str]]]:
    if session.info.get(_CHANGED):
        return _read(session)
    key = _key(session)
    with _lock:
        found = _cached.get(key)
        generation = _generation
    if found is not None and time.monotonic() - found[0] < MAX_AGE_SECONDS:
        return found[1]
    read_at = time.monotonic()
    active = _read(session)
    with _lock:
        if generation == _generation:
            _cached[key] = (read_at, active)
    return active


def _read(session: Session) -> list[tuple[int, frozenset[str]]]:
    rows = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.events)
        .where(WebhookSubscription.active.is_(True))
        .order_by(WebhookSubscription.id)
    ).all()
    return [(row.id, frozenset(row.events)) for row in rows]
