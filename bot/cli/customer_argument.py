"""The CUSTOMER argument of `switchboard privacy export` and `privacy erase`: a customer
id, an email address or a phone number, as a request for a customer's data arrives.

Before, only the id was taken ("'ada@example.com' is not a valid integer range"), and no
command finds a customer's id, so an operator with a request by email had to query the
staff API first. Digits alone are an id; a phone number is written with a leading `+`
or separators ("+1 415 555 0101", "415-555-0101", read in
`SWITCHBOARD_STAFF__DEFAULT_PHONE_REGION` as the staff API reads it). An address that
several customers share is refused with their ids, never guessed between.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from crm_store import Database

__all__ = ["CUSTOMER_HELP", "customer_id_of"]

CUSTOMER_HELP = "CUSTOMER: a customer id, an email address or a phone number (with + or separators)"


def customer_id_of(database: Database, given: str, phone_region: str) -> int:
    """The id of the one customer `given` names; a ClickException saying why otherwise."""
    # Imported here, as the CLI's other commands import theirs: `switchboard --help`
    # loads neither the store nor phonenumbers.
    from bot.api.phone_search import NotAPhoneNumber, e164
    from crm_store import customers

    text = given.strip()
    if text.isdigit():
        if int(text) < 1:
            raise click.BadParameter(f"{given!r} is not a customer id", param_hint="CUSTOMER")
        return int(text)
    if "@" in text:
        by = {"email": text}
    else:
        try:
            by = {"phone": e164(text, phone_region)}
        except NotAPhoneNumber:
            raise click.BadParameter(
                f"{given!r} is not a customer id, an email address or a phone number",
                param_hint="CUSTOMER",
            ) from None
    with database.transaction() as session:
        found = customers.find_customers(session, **by)
    if not found:
        raise click.ClickException(f"no customer has {text}")
    if len(found) > 1:
        ids = ", ".join(str(customer.id) for customer in found)
        raise click.ClickException(f"{len(found)} customers have {text} (ids {ids}): give one id")
    return found[0].id
