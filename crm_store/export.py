"""Everything the store holds about one customer, as one archive (right of access).

Which rows are the customer's is found, not listed: every table with a foreign key to
`customers.id` (the walk `merging.customer_references` uses for merges), then every
table with a foreign key to one of those rows (ticket events, outbox rows, Slack calls),
and so on, until no table is left that hangs off the customer. A table added later is
exported without an edit here; `tests/crm_store/test_export.py` proves every row of
every such table is in the archive.

Streamed: rows are read in pages of `PAGE_ROWS` by primary key and written to the zip
entry as they come, so a history of any length never sits whole in memory.

The archive (a zip): `customer.json`, the document (`schema_version`, `exported_at`,
`customer`, then `tables`: table name -> its rows, every column by name), and
`customer.schema.json`, the JSON Schema (draft 2020-12) of that document, derived from
the same metadata. Staff users and accounts the rows name are not the customer's data
and appear only as ids. The audit log is about staff activity and is not exported.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from sqlalchemy import Column, Table, or_, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from crm_store.base import Base
from crm_store.errors import NotFound
from crm_store.export_schema import SCHEMA_VERSION, document_schema
from crm_store.merging import customer_references
from crm_store.models import ConsentEntry, Customer, Identity

PAGE_ROWS = 500
DOCUMENT = "customer.json"
SCHEMA = "customer.schema.json"

__all__ = [
    "DOCUMENT",
    "SCHEMA",
    "SCHEMA_VERSION",
    "belongs",
    "customer_tables",
    "export_customer",
    "tables_under",
]


def customer_tables() -> list[tuple[Table, list[Column[Any]]]]:
    """Each table holding the customer's rows, with the columns that tie a row to the
    customer: a foreign key to `customers.id`, or to a table already found."""
    return tables_under(Customer.__table__, customer_references())


def tables_under(
    root: Table, references: list[Column[Any]], skip: frozenset[str] = frozenset()
) -> list[tuple[Table, list[Column[Any]]]]:
    """Each table hanging off `root` through `references` (its foreign keys to the root)
    and then through foreign keys to a table already found, with the linking columns;
    by table name. Tables named in `skip` are left out, and so is what hangs only off
    them (the retention of conversations leaves tickets to their own)."""
    found: dict[str, list[Column[Any]]] = {}
    for column in references:
        if column.table.name not in skip:
            found.setdefault(column.table.name, []).append(column)
    grew = True
    while grew:
        grew = False
        for table in Base.metadata.sorted_tables:
            if table.name in found or table is root or table.name in skip:
                continue
            links = [
                fk.parent
                for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
                if fk.column.table.name in found and fk.column.table is not table
            ]
            if links:
                found[table.name] = links
                grew = True
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    return [(tables[name], columns) for name, columns in sorted(found.items())]


def _owned_ids(
    table: Table, root: Table, ids: int | Select[Any], links: dict[str, list[Column[Any]]]
) -> Select[Any]:
    """Primary keys of `table`'s rows that hang off the root rows `ids`."""
    (key,) = table.primary_key.columns
    return select(key).where(belongs(table, root, ids, links))


def belongs(
    table: Table, root: Table, ids: int | Select[Any], links: dict[str, list[Column[Any]]]
) -> ColumnElement[bool]:
    """The condition for `table`'s rows that hang off the `root` row with id `ids` (or
    the root rows a select of ids names), through the links of `tables_under`."""
    conditions: list[ColumnElement[bool]] = []
    for column in links[table.name]:
        (fk,) = column.foreign_keys
        parent = fk.column.table
        if parent is root:
            conditions.append(column == ids if isinstance(ids, int) else column.in_(ids))
        else:
            conditions.append(column.in_(_owned_ids(parent, root, ids, links)))
    if table is ConsentEntry.__table__ and root is Customer.__table__ and isinstance(ids, int):
        # A STOP from a number before it was anyone's names no customer, yet is theirs.
        held = select(Identity.channel, Identity.address).where(Identity.customer_id == ids)
        conditions.append(tuple_(table.c.channel, table.c.address).in_(held))
    return or_(*conditions)


def _rows(
    session: Session, table: Table, condition: ColumnElement[bool]
) -> Iterator[dict[str, Any]]:
    """The table's rows matching `condition`, a page at a time, by primary key."""
    (key,) = table.primary_key.columns
    last: Any = None
    while True:
        query = select(table).where(condition).order_by(key).limit(PAGE_ROWS)
        if last is not None:
            query = query.where(key > last)
        page = session.execute(query).mappings().all()
        for row in page:
            yield {name: _plain(value) for name, value in row.items()}
        if len(page) < PAGE_ROWS:
            return
        last = page[-1][key.name]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def export_customer(session: Session, customer_id: int, out: IO[bytes]) -> dict[str, int]:
    """Write the customer's archive to `out` (a file opened for binary writing); returns
    the rows written per table. Raises NotFound for an unknown customer."""
    customers = Customer.__table__
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id}")
    tables = customer_tables()
    links = {table.name: columns for table, columns in tables}
    counts: dict[str, int] = {}
    exported_at = datetime.now(UTC)
    # Opened by name, a member written as a stream is dated 1980-01-01 (zipfile's
    # default): dated like the schema beside it, the export's time (UTC).
    entry = ZipInfo(DOCUMENT, date_time=exported_at.timetuple()[:6])
    entry.compress_type = ZIP_DEFLATED
    with ZipFile(out, "w", compression=ZIP_DEFLATED) as archive:
        with archive.open(entry, "w", force_zip64=True) as document:

            def put(text: str) -> None:
                document.write(text.encode())

            (profile,) = _rows(session, customers, customers.c.id == customer_id)
            head = {
                "schema_version": SCHEMA_VERSION,
                "exported_at": exported_at.isoformat(),
                "customer": profile,
            }
            put(json.dumps(head, ensure_ascii=False)[:-1] + ', "tables": {')
            for index, (table, _) in enumerate(tables):
                put(("," if index else "") + json.dumps(table.name) + ": [")
                count = 0
                for row in _rows(session, table, belongs(table, customers, customer_id, links)):
                    put(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
                    count += 1
                put("]")
                counts[table.name] = count
            put("}}\n")
        archive.writestr(SCHEMA, json.dumps(document_schema(tables), indent=2))
    return counts
