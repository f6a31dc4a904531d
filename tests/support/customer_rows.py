"""Rows for any table of the store, made from its metadata: a table added later gets
rows without an edit here (the merge and export tests prove every table is walked)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, String, Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from crm_store.base import utcnow
from crm_store.models import Customer

__all__ = ["RowMaker", "is_customer_reference", "unique_keys"]


def unique_keys(table: Table) -> list[set[Column[Any]]]:
    """The column sets of every unique constraint and unique index of `table`."""
    keys = [set(c.columns) for c in table.constraints if c.__visit_name__ == "unique_constraint"]
    keys += [set(index.columns) for index in table.indexes if index.unique]
    keys += [{column} for column in table.columns if column.unique]
    return keys


class RowMaker:
    """Inserts a minimal valid row into any table, creating the parent rows it needs.

    Columns that are part of a unique key without the customer column get a fresh value
    per row; all other values are the same for every row, so two customers' rows differ
    only by customer. A unique key that includes the customer column then collides when
    the rows are merged unless the table has a rule.
    """

    def __init__(self, session: Session, *, link_every_parent: bool = False) -> None:
        """`link_every_parent`: fill nullable foreign keys too (to the same customer's
        new parent rows; staff users and accounts as well), not only required ones."""
        self.session = session
        self.serial = itertools.count(1)
        self.link_every_parent = link_every_parent
        self.made: dict[int, dict[str, set[int]]] = {}  # customer -> table -> row ids

    def row(self, table: Table, customer_id: int) -> int:
        distinct = {
            column
            for key in unique_keys(table)
            if not any(is_customer_reference(column) for column in key)
            for column in key
        }
        values: dict[str, Any] = {}
        for column in table.columns:
            if column.primary_key and not column.foreign_keys:
                continue  # generated; a primary key that is a parent's id is linked below
            if is_customer_reference(column):
                values[column.name] = customer_id
            elif column.foreign_keys:
                (fk,) = column.foreign_keys
                parent = fk.column.table
                if not column.nullable or (self.link_every_parent and parent is not table):
                    values[column.name] = self.row(parent, customer_id)
            elif not (column.nullable or column.default or column.server_default):
                values[column.name] = self.sample(column, column in distinct)
        made = self.session.execute(insert(table).values(values)).inserted_primary_key[0]
        self.made.setdefault(customer_id, {}).setdefault(table.name, set()).add(made)
        return made

    def sample(self, column: Column[Any], distinct: bool) -> Any:
        kind = column.type
        if isinstance(kind, TypeDecorator):
            kind = kind.impl_instance
        n = next(self.serial) if distinct else 1
        if isinstance(kind, String):
            return f"{n}x"[: kind.length] if distinct else "x"
        if isinstance(kind, Boolean):
            return False
        if isinstance(kind, Integer):
            return n
        if isinstance(kind, Float):
            return 0.5
        if isinstance(kind, DateTime):
            return utcnow()
        if isinstance(kind, JSON):
            return {}
        raise NotImplementedError(f"no sample value for {column} ({column.type}): add one")


def is_customer_reference(column: Column[Any]) -> bool:
    return any(fk.column is Customer.__table__.c.id for fk in column.foreign_keys)
