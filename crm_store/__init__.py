"""The CRM store: customers, conversations, interactions, tickets and the rest.

SQLAlchemy 2 models with Alembic migrations; SQLite embedded, PostgreSQL in production.
Repository functions take a `Session` from `Database.transaction()` and return plain
records from `crm_store.records`, never ORM instances.
"""

from crm_store.database import Database
from crm_store.errors import NotFound, StoreError, StoreUnavailable, is_unavailable
from crm_store.migrate import upgrade

__all__ = ["Database", "NotFound", "StoreError", "StoreUnavailable", "is_unavailable", "upgrade"]
