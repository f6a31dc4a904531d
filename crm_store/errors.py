"""The CRM store's exceptions, and which driver errors mean "the database is down"."""

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class StoreError(Exception):
    """Base class of the CRM store's errors."""


class StoreUnavailable(StoreError):
    """The database does not answer."""


class NotFound(StoreError):
    """The record asked for does not exist."""


# PostgreSQL SQLSTATEs of a server that cannot serve now: connection exceptions (08),
# transaction rollback (40: serialisation, deadlock), insufficient resources (53),
# operator intervention (57: shutting down, starting up), a read-only transaction.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "40", "53", "57")
_READ_ONLY_SQLSTATE = "25006"


def is_unavailable(error: BaseException) -> bool:
    """True when `error` (or the error it was raised from) says the database cannot serve
    the request now but may later: a refused or dropped connection, a lock held past the
    busy timeout, a read-only file or server, a full pool, a serialisation failure.
    False for mistakes that trying again will not fix (a bad query, a broken constraint)."""
    current: BaseException | None = error
    for _ in range(10):  # a cause chain is short; never loop on a cyclic one
        if current is None:
            return False
        if isinstance(current, StoreUnavailable | OperationalError | InterfaceError | PoolTimeout):
            return True
        if isinstance(current, DBAPIError):
            sqlstate = str(getattr(current.orig, "sqlstate", "") or "")
            return (
                current.connection_invalidated
                or sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
                or sqlstate == _READ_ONLY_SQLSTATE
            )
        current = current.__cause__
    return False
