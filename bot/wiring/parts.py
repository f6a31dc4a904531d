"""What a channel adds to the running app once the engine exists."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter

from bot.workers import Worker

__all__ = ["ChannelParts"]


@dataclass
class ChannelParts:
    """A channel's routes, its background workers, and one line for the startup log
    saying whether it is on and how (or why it is off)."""

    name: str
    status: str
    routers: list[APIRouter] = field(default_factory=list)
    workers: dict[str, Worker] = field(default_factory=dict)
