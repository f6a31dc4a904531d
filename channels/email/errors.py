"""The email adapter's exceptions."""

from channels.errors import ChannelError


class UnreadableMail(ChannelError):
    """A raw message that cannot be taken in (empty, no From address)."""


class MailboxError(ChannelError):
    """The IMAP server refused a command or could not be reached."""
