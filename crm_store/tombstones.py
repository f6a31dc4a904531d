"""Tombstones: a keyed hash of each identifier an erasure removed (email, phone, each
channel address), so an import or a sync from another system can tell that a person
asked to be forgotten and not quietly bring the record back, while the store keeps no
address. The key is the server's erasure key (settings `privacy.erasure_key`): without
it the hashes cannot be tested against a list of addresses.

What "writing again" does (decided): a person whose record was erased and who writes
again (a new SMS, a new mail, a new widget session) becomes a new customer with no
history; nothing links the two, and the tombstone is not consulted for it (their
writing is a new conversation they started). A provider's replay of an erased message
is something else: it finds its inbound receipt, kept for that reason
(crm_store/erasure.py), and does nothing. An import consults `erased` and skips a row
whose email or phone was erased unless a person says it is a new relationship.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.customers import normalise_email
from crm_store.models import ErasedIdentifier

__all__ = ["digest", "erased", "lay"]


def digest(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of `kind:value` (emails lower-case, every value stripped), in hex."""
    plain = normalise_email(value) if kind == "email" else value.strip()
    return hmac.new(key, f"{kind}:{plain}".encode(), hashlib.sha256).hexdigest()


def lay(
    session: Session, key: bytes, erasure_id: int, identifiers: Iterable[tuple[str, str]]
) -> int:
    """Record the tombstones of (kind, value) pairs; ones already laid are kept as they
    are (the first erasure names them). Returns how many are new."""
    wanted = {(kind, digest(key, kind, value)) for kind, value in identifiers if value}
    if not wanted:
        return 0
    known = {
        (kind, found)
        for kind, found in session.execute(
            select(ErasedIdentifier.kind, ErasedIdentifier.digest).where(
                ErasedIdentifier.digest.in_([d for _, d in wanted])
            )
        )
    }
    new = sorted(wanted - known)
    session.add_all(ErasedIdentifier(kind=k, digest=d, erasure_id=erasure_id) for k, d in new)
    session.flush()
    return len(new)


def erased(session: Session, key: bytes, kind: str, value: str) -> bool:
    """Whether an identifier of this kind and value was erased."""
    found = session.scalar(
        select(ErasedIdentifier.id).where(
            ErasedIdentifier.kind == kind, ErasedIdentifier.digest == digest(key, kind, value)
        )
    )
    return found is not None
