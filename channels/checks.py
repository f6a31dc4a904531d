"""What a channel's start-up check found: the provider took our credentials, or the step
that failed and the provider's own reason. Each adapter has a `check()` returning one;
bot runs them (bot/wiring/checks.py) and says which channels are on."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckResult"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """`ok`, or `step` (what was tried: "auth.test", "SMTP login"...) and `reason`, a
    phrase that follows it ("answered invalid_auth", "refused: 535 ...")."""

    ok: bool
    step: str | None = None
    reason: str | None = None

    @classmethod
    def passed(cls) -> CheckResult:
        return cls(True)

    @classmethod
    def failed(cls, step: str, reason: str) -> CheckResult:
        return cls(False, step, reason)

    def describe(self) -> str:
        """One phrase for a log line: "auth.test answered invalid_auth"."""
        if self.ok:
            return "passed"
        return f"{self.step} {self.reason}"
