"""Running the channel checks (bot/wiring/checks.py) and keeping what they found.

At start the lifespan awaits one round: all checks at once, each cut off after
`timeout_seconds`, so the server waits that long at most and starts whatever they say.
A channel's state is `on`, `off`, `failing` (with the reason) or `unchecked` (before
its first check); `/healthz` shows them, and each change is one log line: on at INFO,
failing at ERROR with the settings to look at.

`ChannelCheckWorker` checks again while the server runs: a failing channel every
`failing_every_seconds` (a few minutes), so a fixed provider or a rotated password is
noticed; a passing one every `passing_every_seconds` (half an hour), because a token
can be revoked or a password changed while the server runs, and `/healthz`'s
`checked_at` should not claim an hour-old "on" is news. One cheap provider call per
half hour costs nothing; repeats that find the same state log nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.settings import ChannelCheckSettings
from bot.wiring.checks import ChannelCheck
from channels.checks import CheckResult

log = logging.getLogger(__name__)

__all__ = ["ChannelCheckWorker", "ChannelHealth", "ChannelState"]


@dataclass(frozen=True, slots=True)
class ChannelState:
    state: str  # "on", "off", "failing", "unchecked"
    reason: str | None = None
    checked_at: datetime | None = None
    step: str | None = None  # the step that failed, for the settings hint

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "reason": self.reason,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
        }


class ChannelHealth:
    """The channels' states and the one line per change. `descriptions` are the wiring's
    status lines ("Slack is on: handoff cards in C0123"), used for the on and off lines
    where there is one. `log_changes=False` leaves the telling to the caller (the CLI)."""

    def __init__(
        self,
        checks: Sequence[ChannelCheck],
        settings: ChannelCheckSettings,
        *,
        descriptions: Mapping[str, str] | None = None,
        log_changes: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._checks = {c.name: c for c in checks}
        self._settings = settings
        self._descriptions = dict(descriptions or {})
        self.now = now
        self._log_changes = log_changes
        self.states: dict[str, ChannelState] = {
            c.name: ChannelState(
                "unchecked" if c.probe else "on" if c.configured else "off",
                None if c.configured else c.off_reason,
            )
            for c in checks
        }

    def awaits_check(self, name: str) -> bool:
        """Whether a channel has a provider check (its line is logged after it)."""
        check = self._checks.get(name)
        return check is not None and check.probe is not None

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """The states as `/healthz` shows them."""
        return {name: state.as_json() for name, state in self.states.items()}

    @property
    def failing(self) -> list[str]:
        return [name for name, state in self.states.items() if state.state == "failing"]

    def line(self, name: str) -> str:
        """The one line saying how a channel is."""
        check, state = self._checks[name], self.states[name]
        if state.state == "failing":
            hint = check.hint(state.step)
            fix = f" (check {hint})" if hint else ""
            return f"{check.label} is failing: {state.reason}{fix}"
        if state.state == "off":
            return self._descriptions.get(name) or f"{check.label} is off: {check.off_reason}"
        return self._descriptions.get(name) or f"{check.label} is {state.state}"

    async def check(self, names: Sequence[str] | None = None) -> None:
        """Check the named channels (default: all with a probe) at once, each within the
        timeout; record and log what changed."""
        chosen = [
            c for c in self._checks.values() if c.probe and (names is None or c.name in names)
        ]
        results = await asyncio.gather(*(self._run(c) for c in chosen))
        for check, result in zip(chosen, results, strict=True):
            self._record(check, result)

    async def _run(self, check: ChannelCheck) -> CheckResult:
        assert check.probe is not None
        timeout = self._settings.timeout_seconds
        try:
            return await asyncio.wait_for(check.probe(), timeout)
        except TimeoutError:
            return CheckResult.failed("the check", f"got no answer within {timeout:g} s")
        except Exception as exc:  # a bug in a check must not stop the server or the others
            log.exception("channel check raised", extra={"channel": check.name})
            return CheckResult.failed("the check", f"raised {type(exc).__name__}: {exc}")

    def _record(self, check: ChannelCheck, result: CheckResult) -> None:
        before = self.states[check.name]
        now = self.now()
        if result.ok:
            self.states[check.name] = ChannelState("on", None, now)
        else:
            self.states[check.name] = ChannelState("failing", result.describe(), now, result.step)
        after = self.states[check.name]
        if not self._log_changes or (before.state, before.reason) == (after.state, after.reason):
            return
        extra = {"channel": check.name, "state": after.state}
        if after.state == "failing":
            log.error(self.line(check.name), extra=extra)
        else:
            again = " again" if before.state == "failing" else ""
            log.info(self.line(check.name) + again, extra=extra)

    def due(self, now: datetime) -> tuple[list[str], datetime | None]:
        """The channels due a check now, and when the next one falls due (None: never)."""
        found, soonest = [], None
        for name, state in self.states.items():
            if not self.awaits_check(name):
                continue
            when = self._next(state)
            if when is None:
                continue
            if when <= now:
                found.append(name)
            elif soonest is None or when < soonest:
                soonest = when
        return found, soonest

    def _next(self, state: ChannelState) -> datetime | None:
        if state.checked_at is None:
            return self.now()
        every = (
            self._settings.failing_every_seconds
            if state.state == "failing"
            else self._settings.passing_every_seconds
        )
        return state.checked_at + timedelta(seconds=every) if every else None


class ChannelCheckWorker:
    """Checks the channels again as they fall due (see the module's docstring)."""

    def __init__(self, health: ChannelHealth) -> None:
        self._health = health
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            due, soonest = self._health.due(self._health.now())
            if due:
                await self._health.check(due)
                continue
            wait = None if soonest is None else (soonest - self._health.now()).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)

    async def stop(self, grace_seconds: float) -> None:
        self._stop.set()
