"""The channel adapters' exceptions."""


class ChannelError(Exception):
    """Base class of the channel adapters' errors."""


class DeliveryError(ChannelError):
    """A provider did not take a message. `retryable` says whether trying again may help."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class InvalidSession(ChannelError):
    """A widget session token is missing, forged or expired."""
