"""The CRM store's exceptions."""


class StoreError(Exception):
    """Base class of the CRM store's errors."""


class StoreUnavailable(StoreError):
    """The database does not answer."""


class NotFound(StoreError):
    """The record asked for does not exist."""
