"""The JSON Schema of a customer export's document (`customer.json`), derived from the
same metadata as the store: each table an array of rows, each column typed as it is
written (timestamps as ISO 8601, decimals as strings, binary as base64), nullable
where the column is. Bump `SCHEMA_VERSION` when the document's shape changes (a column
added or removed changes it too: the schema says which the archive holds)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Table,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from crm_store.models import Customer

SCHEMA_VERSION = 1

__all__ = ["SCHEMA_VERSION", "document_schema"]


def document_schema(tables: list[tuple[Table, list[Column[Any]]]]) -> dict[str, Any]:
    """The JSON Schema of `customer.json` holding `tables` (crm_store/export.py's walk),
    from the store's metadata."""
    customers = Customer.__table__
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Switchboard customer export",
        "type": "object",
        "required": ["schema_version", "exported_at", "customer", "tables"],
        "additionalProperties": False,
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "exported_at": {"type": "string", "format": "date-time"},
            "customer": _row_schema(customers),
            "tables": {
                "type": "object",
                "additionalProperties": False,
                "required": [table.name for table, _ in tables],
                "properties": {
                    table.name: {"type": "array", "items": _row_schema(table)}
                    for table, _ in tables
                },
            },
        },
    }


def _row_schema(table: Table) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [column.name for column in table.columns],
        "properties": {column.name: _column_schema(column) for column in table.columns},
    }


def _column_schema(column: Column[Any]) -> dict[str, Any]:
    kind: TypeEngine[Any] = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    schema: dict[str, Any]
    if isinstance(kind, Boolean):
        schema = {"type": ["boolean"]}
    elif isinstance(kind, Integer):
        schema = {"type": ["integer"]}
    elif isinstance(kind, Float):
        schema = {"type": ["number"]}
    elif isinstance(kind, Numeric):
        schema = {"type": ["string"], "description": "a decimal number, exactly"}
    elif isinstance(kind, DateTime):
        schema = {"type": ["string"], "format": "date-time"}
    elif isinstance(kind, Date):
        schema = {"type": ["string"], "format": "date"}
    elif isinstance(kind, LargeBinary):
        schema = {"type": ["string"], "contentEncoding": "base64"}
    elif isinstance(kind, JSON):
        schema = {"type": ["object", "array", "string", "number", "boolean"]}
    else:
        schema = {"type": ["string"]}
    if column.nullable or isinstance(kind, JSON):
        schema["type"] = [*schema["type"], "null"]
    if column.comment:
        schema["description"] = column.comment
    return schema
