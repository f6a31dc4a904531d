"""The channel adapters' exceptions."""


class ChannelError(Exception):
    """Base class of the channel adapters' errors."""


class DeliveryError(ChannelError):
    """A provider did not take a message. `retryable` says whether trying again may help.

    `opted_out_by` is set when the provider says the recipient has unsubscribed (Twilio
    error 21610): delivery then records the opt-out, so nothing more is tried."""

    def __init__(
        self, reason: str, *, retryable: bool = True, opted_out_by: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable and opted_out_by is None
        self.opted_out_by = opted_out_by


class InvalidSession(ChannelError):
    """A widget session token is missing, forged or expired."""
