"""What every part of the demo seed draws with: the session, one seeded random source,
the moment of seeding, and the running counts to report."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session


@dataclass
class Draw:
    session: Session
    rng: random.Random
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n
