"""The holdout group: a share of customers who never receive a campaign, so its lift
can be measured against people like them who got nothing.

Chosen by hash, not at random: a customer's place is sha256(salt, customer id) read as
a number in [0, 1), and they are held out of every campaign whose share is above it.
The same customers are held out across campaigns (a global holdout: lift over several
campaigns compares the same two groups), a rerun picks the same people, and changing
the salt draws a new group."""

from __future__ import annotations

import hashlib

__all__ = ["holdout_place", "in_holdout"]


def holdout_place(customer_id: int, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_holdout(customer_id: int, share: float, salt: str) -> bool:
    return share > 0 and holdout_place(customer_id, salt) < share
