"""The channel adapters' exceptions."""


class ChannelError(Exception):
    """Base class of the channel adapters' errors."""


class DeliveryError(ChannelError):
    """A provider did not take a message. `retryable` says whether trying again may help.

    `opted_out_by` is set when the provider says the recipient has unsubscribed (Twilio
    error 21610): delivery then records the opt-out, so nothing more is tried.
    `retry_after` is the provider's own wait in seconds (a 429's `Retry-After`): the
    queue worker waits that long instead of its backoff and does not count the try.
    `uncertain` says the provider may have acted although it did not answer (a timed-out
    post): the queue remembers it, so the next try looks before it repeats itself."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool = True,
        opted_out_by: str | None = None,
        retry_after: float | None = None,
        uncertain: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = (retryable or retry_after is not None) and opted_out_by is None
        self.opted_out_by = opted_out_by
        self.retry_after = retry_after if self.retryable else None
        self.uncertain = uncertain


class InvalidSession(ChannelError):
    """A widget session token is missing, forged or expired."""
