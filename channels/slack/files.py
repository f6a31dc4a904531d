"""Files an agent attaches to a thread reply, as words the customer can use.

Slack keeps files behind the workspace's login: `url_private` opens for members only.
A file the agent made public (`public_url_shared`) has a `permalink_public` anyone can
open, so the customer gets that link. Any other file is named, and the customer is told
to ask for it another way, rather than being sent a link that will not open (or
nothing at all). Sending the file itself (MMS, a mail attachment) would need the bot
to download it with its token: not done here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AttachedFile", "attached_files", "files_line"]


@dataclass(frozen=True, slots=True)
class AttachedFile:
    name: str
    public_link: str | None

    def as_json(self) -> dict[str, str | None]:
        return {"name": self.name, "public_link": self.public_link}


def attached_files(event: dict[str, Any]) -> list[AttachedFile]:
    """The files of a message event, in order."""
    found = []
    for file in event.get("files") or []:
        if not isinstance(file, dict):
            continue
        name = str(file.get("name") or file.get("title") or "a file").strip() or "a file"
        link = file.get("permalink_public") if file.get("public_url_shared") else None
        found.append(AttachedFile(name, str(link) if link else None))
    return found


def files_line(agent: str, files: list[AttachedFile]) -> str:
    """One line per file, in Markdown: a link when public, else its name and what to do."""
    lines = []
    for file in files:
        label = file.name.replace("[", "(").replace("]", ")")
        if file.public_link:
            lines.append(f"({agent} shared a file: [{label}]({file.public_link}))")
        else:
            lines.append(
                f"({agent} attached a file: {file.name} — ask us to resend it another way)"
            )
    return "\n".join(lines)
