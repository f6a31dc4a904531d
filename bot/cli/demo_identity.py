"""`switchboard chat --as EMAIL`: the terminal speaks as one of the seed's demo customers.

The terminal proves nothing about who types, so this is a development convenience only:
refused in production, and only for the fixed demo customers (`DEMO_CUSTOMERS`), whose
store records are fictional. The identity then reaches the engine the way a channel
that proves it does (a widget identity signed by the host site, an SMS number): as a
verified `ContactProfile`, so the engine joins the terminal to that customer's record.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from channels.messages import ContactProfile
from crm_store import Database, customers
from demo.seed import DEMO_CUSTOMERS


class NotADemoIdentity(Exception):
    """`--as` cannot be used here: production, another email, or an unseeded store."""


@dataclass(frozen=True, slots=True)
class TerminalIdentity:
    """The terminal address to chat from and what the channel tells about the sender."""

    address: str
    profile: ContactProfile


def refuse_in_production(settings: Settings) -> None:
    """NotADemoIdentity in production, where no one may speak as a customer."""
    if settings.environment == "production":
        raise NotADemoIdentity(
            "--as is refused in production: the terminal cannot prove who is typing"
        )


def refuse_other_emails(email: str) -> None:
    """NotADemoIdentity for an email that is none of the demo customers' (said before
    any database is opened: a typo needs no store to be told)."""
    known = [customer.email for customer in DEMO_CUSTOMERS]
    if email.strip().lower() not in known:
        raise NotADemoIdentity(
            f"--as takes only a demo customer's email ({', '.join(known)}), not {email!r}"
        )


def demo_identity(settings: Settings, email: str, database: Database) -> TerminalIdentity:
    """The verified identity of the demo customer with `email`, or NotADemoIdentity."""
    refuse_in_production(settings)
    refuse_other_emails(email)
    wanted = email.strip().lower()
    demo = next(customer for customer in DEMO_CUSTOMERS if customer.email == wanted)
    with database.transaction() as session:
        seeded = customers.find_customers(session, email=demo.email, limit=1)
    if not seeded:
        raise NotADemoIdentity(
            f"{demo.email} is not in the store: run `switchboard demo seed` first"
        )
    return TerminalIdentity(
        # One terminal address per demo customer, apart from the plain `chat` address.
        address=f"demo-as:{demo.email}",
        profile=ContactProfile(name=demo.name, email=demo.email, phone=demo.phone, verified=True),
    )
