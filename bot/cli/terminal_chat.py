"""`switchboard chat`: a terminal conversation with the same engine, store and outbox."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from typing import TextIO

from bot.settings import Settings
from bot.wiring.bootstrap import bootstrap
from channels.messages import Channel, ContactProfile, InboundMessage
from channels.terminal import TerminalSender


async def run_terminal_chat(
    settings: Settings,
    *,
    address: str,
    profile: ContactProfile,
    lines: Iterable[str],
    out: TextIO,
) -> None:
    """Chat line by line from `address`; every message carries `profile` (a typed name,
    or a demo customer's verified identity with `chat --as`)."""
    services = bootstrap(
        settings,
        senders={Channel.TERMINAL: TerminalSender(out)},
        deliver_only=frozenset({Channel.TERMINAL}),
    )
    session_tag = f"{time.time_ns()}"
    interactive = out.isatty()
    source = iter(lines)
    try:
        out.write("Chatting with Switchboard. An empty line or Ctrl+D ends.\n")
        for number in itertools.count(1):
            if interactive:
                out.write("you> ")
                out.flush()
            line = next(source, "")
            text = line.strip()
            if not text:
                break
            await services.engine.receive(
                InboundMessage(
                    channel=Channel.TERMINAL,
                    address=address,
                    provider_message_id=f"{session_tag}:{number}",
                    text=text,
                    profile=profile,
                )
            )
            # Deliver now rather than wait for a poll: the replies print in order.
            while await services.worker.deliver_due():
                pass
    finally:
        await services.worker.stop(settings.delivery.shutdown_grace_seconds)
        services.close()
