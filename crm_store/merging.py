"""Merging two customer records into one.

Everything that points at the absorbed customer moves to the kept one, then the absorbed
record is deleted. The tables are found by walking the metadata for foreign keys to
`customers.id`, so a table added later is carried over without an edit here.

Re-pointing a row is safe unless the table has a unique key that includes its customer
column: the kept customer may already hold the same key (one row per customer and
something), and the update would collide. Such a table says how it merges in `RULES`;
`tests/crm_store/test_merging.py` fails for a table that needs a rule and has none.
Identities, conversations and interactions are unique on keys that leave the customer
out, so their rows simply change owner. The consent ledger is append-only, yet its
entries change owner too: who the decision was about changes, not what was decided, when
or how. `customer_metrics` (one derived row per customer) has a rule: both customers'
rows are dropped, because neither describes the merged customer; the next `switchboard
analytics refit` computes its row.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Column, Table, delete, select, update
from sqlalchemy.orm import Mapper, Session

from crm_store.base import Base
from crm_store.errors import NotFound
from crm_store.models import Customer


class MergeRule(Protocol):
    """How one table's rows of the absorbed customer join the kept customer's.

    `column` is the table's foreign key to `customers.id`; the rule leaves no row with
    `absorb_id` in it and returns how many rows it moved to `keep_id`.
    """

    def __call__(self, session: Session, column: Column[int], keep_id: int, absorb_id: int) -> int:
        """Move or settle the absorbed customer's rows; return how many moved."""
        ...


def _drop_derived_rows(session: Session, column: Column[int], keep_id: int, absorb_id: int) -> int:
    """Derived rows (recomputed by analytics) of both customers go: neither is right for
    the merged customer, and a stale figure is worse than none until the next refit."""
    session.execute(delete(column.table).where(column.in_((keep_id, absorb_id))))
    return 0


def _one_row_per_campaign(
    session: Session, column: Column[int], keep_id: int, absorb_id: int
) -> int:
    """Campaign recipients and sends are unique per campaign (and step) and customer.
    Where both records were in the same campaign, the kept customer's row stands and the
    absorbed one's goes (the ledger keeps one row per person and step); the others move."""
    table = column.table
    shared = [c for c in ("campaign_id", "step") if c in table.c]
    kept = table.alias("kept")
    same = [kept.c[c] == table.c[c] for c in shared]
    if "enrolment_id" in table.c:  # a journey's rows are one per enrolment: no collision
        same.append(kept.c.enrolment_id.is_(None))
        same.append(table.c.enrolment_id.is_(None))
    collides = select(kept.c.id).where(kept.c[column.name] == keep_id, *same).exists()
    session.execute(delete(table).where(column == absorb_id, collides))
    return _repoint(session, column, keep_id, absorb_id)


def _enrolments_kept_apart(
    session: Session, column: Column[int], keep_id: int, absorb_id: int
) -> int:
    """Journey enrolments are unique per (journey, customer, occurrence). Where both
    records entered a journey for the same occurrence, the absorbed one's enrolment is
    kept (its ledger rows point at it) under an occurrence marked as merged."""
    table = column.table
    kept = table.alias("kept")
    collides = (
        select(kept.c.id)
        .where(
            kept.c.customer_id == keep_id,
            kept.c.campaign_id == table.c.campaign_id,
            kept.c.occurrence == table.c.occurrence,
        )
        .exists()
    )
    session.execute(
        update(table)
        .where(column == absorb_id, collides)
        .values(occurrence=table.c.occurrence + f":merged:{absorb_id}")
    )
    return _repoint(session, column, keep_id, absorb_id)


# Table name -> its rule. A table not named here has its rows re-pointed.
RULES: dict[str, MergeRule] = {
    "customer_metrics": _drop_derived_rows,
    "campaign_recipients": _one_row_per_campaign,
    "campaign_sends": _one_row_per_campaign,
    "journey_enrolments": _enrolments_kept_apart,
}


def customer_references() -> list[Column[int]]:
    """Every column of the store with a foreign key to `customers.id`, in table order."""
    customers = Customer.__table__
    return [
        fk.parent
        for table in Base.metadata.sorted_tables
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
        if fk.references(customers) and fk.column.name == "id"
    ]


def merge(session: Session, *, keep_id: int, absorb_id: int) -> dict[str, int]:
    """Merge customer `absorb_id` into `keep_id`: its identities, conversations,
    interactions, tickets, handoffs, consents, leads, orders and any other table's rows
    become the kept customer's, and the absorbed customer is deleted.

    Nothing of the absorbed customer's own row is copied (name, contact details, claims
    in `attributes`, account): the kept record stays as it was, and the caller decides
    what, if anything, it takes over. Returns the rows moved per table (tables with
    none are left out). Runs in the caller's transaction.
    """
    if keep_id == absorb_id:
        raise ValueError("a customer cannot be merged into itself")
    for customer_id in (keep_id, absorb_id):
        if session.get(Customer, customer_id) is None:
            raise NotFound(f"customer {customer_id}")
    moved: dict[str, int] = {}
    for column in customer_references():
        rule = RULES.get(column.table.name, _repoint)
        count = rule(session, column, keep_id, absorb_id)
        if count:
            moved[column.table.name] = moved.get(column.table.name, 0) + count
    session.execute(delete(Customer).where(Customer.id == absorb_id))
    return moved


def _repoint(session: Session, column: Column[int], keep_id: int, absorb_id: int) -> int:
    """The default: the rows change owner. Through the mapped class where there is one,
    so objects already loaded in the session see their new customer too."""
    mapper = _mapper_of(column.table)
    if mapper is None:
        statement = update(column.table).where(column == absorb_id).values({column: keep_id})
    else:
        attribute = getattr(mapper.class_, mapper.get_property_by_column(column).key)
        statement = update(mapper).where(attribute == absorb_id).values({attribute: keep_id})
    return int(session.execute(statement).rowcount)


def _mapper_of(table: Table) -> Mapper[object] | None:
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper
    return None
