"""Outbound webhooks as a queue for the one queue worker (bot/delivery/queue.py): claim
due deliveries, sign and POST each, and record what came of it.

- In order per subject: the lanes are (subscription, subject), and the store does not
  hand out a row while an earlier one of its subject waits (crm_store/webhooks.py).
- Any 2xx is delivered. Anything else (another status, a timeout, a refused
  connection) is retried with the backoff for the retry window (a day by default): a
  receiver that is down or misconfigured is usually fixed by someone. A 429 or 503 with
  `Retry-After` waits that long. A URL that now resolves into a private network is
  failed for good (SSRF), as is a subscription turned off meanwhile.
- Every try is logged (`webhook_attempts`: status code, error, duration).
- A subscription whose every try has failed for `disable_after` (a day) is turned off,
  logged at ERROR and reported to the alarm (Slack's handoff channel when Slack is on),
  as dead rows are; an admin turns it on again through the API.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta

import httpx
from anyio import to_thread
from sqlalchemy.orm import Session

from bot.delivery.queue import QueueWorker, RetryPolicy
from bot.webhooks.addresses import RefusedAddress, check_url
from bot.webhooks.signing import signature_headers
from channels.errors import DeliveryError
from crm_store import Database
from crm_store import webhook_log as delivery_log
from crm_store import webhook_subscriptions as subscriptions
from crm_store import webhooks as store
from crm_store.base import utcnow
from crm_store.webhook_subscriptions import SubscriptionRecord
from crm_store.webhooks import ClaimedDelivery

log = logging.getLogger(__name__)

__all__ = ["DisabledAlarm", "WebhookQueue", "WebhookWorker"]

# Told (after it is stored and logged) that a subscription was turned off, and why.
DisabledAlarm = Callable[[SubscriptionRecord], Awaitable[None]]
USER_AGENT = "Switchboard-Webhooks/1"
# Of a receiver's answer only this much is read (into the error); a huge body is not.
ANSWER_BYTES_KEPT = 200


async def _first_bytes(response: httpx.Response, limit: int) -> bytes:
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk[: limit - len(kept)]
        if len(kept) >= limit:
            break
    return kept


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    if response.status_code in (429, 503) and value.isdigit():
        return min(float(value), 3600.0)
    return None


class WebhookQueue:
    """`bot.delivery.queue.Queue` over `webhook_deliveries`."""

    def __init__(
        self,
        database: Database,
        *,
        allowed_hosts: Iterable[str] = (),
        timeout_seconds: float = 10.0,
        lease_seconds: float = 60.0,
        disable_after_seconds: float = 24 * 3600,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._db = database
        self._allowed = frozenset(host.lower() for host in allowed_hosts)
        self._timeout = timeout_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._disable_after = timedelta(seconds=disable_after_seconds)
        self._clock = clock
        self._transport = transport
        self.alarm: DisabledAlarm | None = None

    async def claim(self, limit: int) -> Sequence[ClaimedDelivery]:
        def claim() -> list[ClaimedDelivery]:
            with self._db.transaction() as session:
                return store.claim_due(session, now=self._clock(), limit=limit, lease=self._lease)

        return await to_thread.run_sync(claim)

    async def next_due(self, after: datetime) -> datetime | None:
        return await self._db.read_async(lambda session: store.next_due(session, after=after))

    def lanes(self, rows: Sequence[ClaimedDelivery]) -> list[list[ClaimedDelivery]]:
        subjects: dict[tuple[int, str], list[ClaimedDelivery]] = {}
        for row in rows:
            subjects.setdefault((row.subscription_id, row.subject), []).append(row)
        return list(subjects.values())

    async def perform(self, row: ClaimedDelivery) -> int:
        """POST the signed event; returns the receiver's status code."""
        try:
            address = await to_thread.run_sync(check_url, row.url, self._allowed)
        except RefusedAddress as exc:
            await self._log(row, None, f"refused: {exc}", 0)
            raise DeliveryError(f"refused: {exc}", retryable=False) from None
        headers = {
            **signature_headers(row.secret, row.event_id, int(time.time()), row.body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": address.host_header,
        }
        started = time.monotonic()
        try:
            # No redirects: a Location could point anywhere, past the address check.
            async with (
                httpx.AsyncClient(
                    timeout=self._timeout, transport=self._transport, follow_redirects=False
                ) as client,
                client.stream(
                    "POST",
                    address.pinned_url(row.url),
                    content=row.body.encode(),
                    headers=headers,
                    extensions={"sni_hostname": address.host},
                ) as response,
            ):
                answer = await _first_bytes(response, ANSWER_BYTES_KEPT)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
            await self._log(row, None, error, started)
            raise DeliveryError(error) from None
        if 200 <= response.status_code < 300:
            await self._log(row, response.status_code, None, started)
            return response.status_code
        error = f"HTTP {response.status_code}: {answer.decode(errors='replace')}"
        await self._log(row, response.status_code, error, started)
        raise DeliveryError(error, retry_after=_retry_after(response))

    async def _log(
        self, row: ClaimedDelivery, status_code: int | None, error: str | None, started: float
    ) -> None:
        took = int((time.monotonic() - started) * 1000) if started else 0

        def write() -> None:
            with self._db.transaction() as session:
                delivery_log.log_attempt(
                    session, row.id, status_code=status_code, error=error, duration_ms=took
                )

        await to_thread.run_sync(write)

    async def done(self, row: ClaimedDelivery, result: int) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                store.mark_delivered(session, row.id)

        await to_thread.run_sync(write)

    async def retry(
        self, row: ClaimedDelivery, failure: DeliveryError, at: datetime, *, counted: bool
    ) -> None:
        def write() -> SubscriptionRecord | None:
            with self._db.transaction() as session:
                store.schedule_retry(
                    session, row.id, error=failure.reason, at=at, count_attempt=counted
                )
                return self._note_failure(session, row)

        await self._after_failure(await to_thread.run_sync(write))

    async def failed(self, row: ClaimedDelivery, failure: DeliveryError) -> None:
        await self._finish(row, "failed", failure)

    async def dead(self, row: ClaimedDelivery, failure: DeliveryError) -> None:
        await self._finish(row, "dead", failure)
        log.error(
            "webhook delivery is dead",
            extra={"delivery_id": row.id, "subscription_id": row.subscription_id},
        )

    async def release(self, rows: Sequence[ClaimedDelivery]) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                store.release(session, [row.id for row in rows])

        await to_thread.run_sync(write)

    async def _finish(self, row: ClaimedDelivery, status: str, failure: DeliveryError) -> None:
        def write() -> SubscriptionRecord | None:
            with self._db.transaction() as session:
                store.finish(session, row.id, status=status, error=failure.reason)
                return self._note_failure(session, row)

        await self._after_failure(await to_thread.run_sync(write))

    def _note_failure(self, session: Session, row: ClaimedDelivery) -> SubscriptionRecord | None:
        return subscriptions.note_failure(
            session, row.subscription_id, now=self._clock(), disable_after=self._disable_after
        )

    async def _after_failure(self, disabled: SubscriptionRecord | None) -> None:
        if disabled is None:
            return
        log.error(
            "webhook subscription turned off after a day of failures",
            extra={"subscription_id": disabled.id, "reason": disabled.disabled_reason},
        )
        if self.alarm is not None:
            await self.alarm(disabled)


class WebhookWorker(QueueWorker[ClaimedDelivery, int]):
    """Delivers webhook events until stopped."""

    def __init__(
        self,
        database: Database,
        *,
        policy: RetryPolicy,
        allowed_hosts: Iterable[str] = (),
        timeout_seconds: float = 10.0,
        disable_after_seconds: float = 24 * 3600,
        poll_interval_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.webhooks = WebhookQueue(
            database,
            allowed_hosts=allowed_hosts,
            timeout_seconds=timeout_seconds,
            disable_after_seconds=disable_after_seconds,
            clock=clock,
            transport=transport,
        )
        super().__init__(
            self.webhooks,
            policy,
            poll_interval_seconds=poll_interval_seconds,
            clock=clock,
            name="webhooks",
        )
