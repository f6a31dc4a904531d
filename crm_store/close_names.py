"""Names close to one that matched nothing: "Acme Crop" -> Acme Corp, "Globx" -> Globex.

A salesperson asking for a summary types a name from memory; one wrong letter found
nothing, and the answer gave them nothing to go on. The store has no fuzzy index that
works on both SQLite and PostgreSQL (pg_trgm is an extension), so the names that may be
close are found with plain LIKE, by the first three letters of each word of the query
at the start of a name or of a word in it (a few hundred names at most), and ranked in
Python by `difflib`'s similarity to the whole query. Only names at least
`MIN_SIMILARITY` alike are offered, most alike first. This runs only after the exact,
prefix and contains matches found nothing, so a query that finds someone costs nothing
more.
"""

from __future__ import annotations

import difflib

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from crm_store.customers import escaped_for_like
from crm_store.models import Account, Customer
from crm_store.subjects import accounts_where, as_e164, customers_where
from crm_store.summary_records import SummarySubject

MIN_SIMILARITY = 0.75
MAX_SUGGESTIONS = 5
_SCANNED = 200  # names read per kind; the prefixes keep them few


def close_subjects(
    session: Session, query: str, *, limit: int = MAX_SUGGESTIONS
) -> list[SummarySubject]:
    """Accounts and customers whose name is close to `query`, most alike first."""
    wanted = " ".join(query.lower().split())
    stems = {word[:3] for word in wanted.split() if len(word) >= 3}
    if not stems or "@" in wanted or as_e164(wanted) is not None:
        return []  # an email or a phone is looked up as typed, never guessed at
    scored: list[tuple[float, str, int]] = []
    for kind, key, name, alive in (
        ("account", Account.id, Account.name, true()),
        ("customer", Customer.id, Customer.name, Customer.pending.is_(False)),
    ):
        rows = session.execute(
            select(key, name)
            .where(_a_word_starts_with(name, stems), alive)
            .order_by(key)
            .limit(_SCANNED)
        ).all()
        for row in rows:
            similarity = difflib.SequenceMatcher(None, wanted, row[1].lower()).ratio()
            if similarity >= MIN_SIMILARITY:
                scored.append((similarity, kind, row[0]))
    scored.sort(key=lambda found: -found[0])  # stable: accounts first on a tie
    best = scored[:limit]
    accounts = [i for _, kind, i in best if kind == "account"]
    customers = [i for _, kind, i in best if kind == "customer"]
    subjects = {
        (s.kind, s.id): s
        for s in accounts_where(session, Account.id.in_(accounts), limit)
        + customers_where(session, Customer.id.in_(customers), limit)
    }
    return [subjects[kind, i] for _, kind, i in best if (kind, i) in subjects]


def _a_word_starts_with(column: ColumnElement[str], stems: set[str]) -> ColumnElement[bool]:
    lowered = func.lower(column)
    patterns = [escaped_for_like(stem) for stem in sorted(stems)]
    return or_(
        *(lowered.like(f"{stem}%", escape="\\") for stem in patterns),
        *(lowered.like(f"% {stem}%", escape="\\") for stem in patterns),
    )
