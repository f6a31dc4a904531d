"""The active webhook subscriptions are cached per database (crm_store/webhook_listeners.py):
a change made in this process is heard at once, one made elsewhere within the cache's
age, and a cached list saves the read on every appended message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select, text

from crm_store import Database, webhook_listeners, webhook_subscriptions, webhooks
from crm_store.models import WebhookDelivery


@pytest.fixture
def subscription_reads(database: Database) -> Iterator[list[str]]:
    """The statements that read webhook_subscriptions, as they run."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "webhook_subscriptions" in statement:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    webhook_listeners.forget()
    yield seen
    event.remove(database.engine, "before_cursor_execute", note)


def _emit(database: Database) -> int:
    with database.transaction() as session:
        return webhooks.emit(
            session, "message.created", subject="conversation:1", data={}, customer_id=None
        )


def _subscribe(database: Database, events: list[str]) -> int:
    with database.transaction() as session:
        return webhook_subscriptions.create_subscription(
            session, url="https://example.com/h", events=events, secret="whsec_a", description=None
        ).id


def test_the_subscriptions_are_read_once_for_many_messages(
    database: Database, subscription_reads: list[str]
) -> None:
    _subscribe(database, ["message.created"])
    assert [_emit(database) for _ in range(3)] == [1, 1, 1]
    assert len(subscription_reads) == 1


def test_a_change_in_this_process_is_heard_at_once(
    database: Database, subscription_reads: list[str]
) -> None:
    assert _emit(database) == 0  # the empty list is cached now
    first = _subscribe(database, ["message.created"])
    assert _emit(database) == 1
    with database.transaction() as session:
        webhook_subscriptions.change_subscription(session, first, active=False)
    assert _emit(database) == 0
    with database.transaction() as session:
        webhook_subscriptions.change_subscription(session, first, active=True)
        # The changing transaction sees its own change before it commits.
        assert (
            webhooks.emit(
                session, "message.created", subject="conversation:1", data={}, customer_id=None
            )
            == 1
        )
    assert _emit(database) == 1
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 3


def test_a_rolled_back_change_is_not_heard(database: Database) -> None:
    webhook_listeners.forget()
    with pytest.raises(RuntimeError), database.transaction() as session:
        webhook_subscriptions.create_subscription(
            session, url="https://example.com/h", events=["message.created"], secret="s",
            description=None,
        )  # fmt: skip
        raise RuntimeError("the request failed")
    assert _emit(database) == 0


def test_a_change_made_elsewhere_is_heard_within_the_cache_age(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's change (here a plain SQL update, which this process's ORM does
    not see) reaches the cached list once it is older than MAX_AGE_SECONDS."""
    subscription = _subscribe(database, ["message.created"])
    assert _emit(database) == 1
    with database.transaction() as session:
        session.execute(
            text("UPDATE webhook_subscriptions SET active = false WHERE id = :id"),
            {"id": subscription},
        )
    assert _emit(database) == 1  # cached: queued, and not sent while it is off
    now = webhook_listeners.time.monotonic()
    later = now + webhook_listeners.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(webhook_listeners.time, "monotonic", lambda: later)
    assert _emit(database) == 0
