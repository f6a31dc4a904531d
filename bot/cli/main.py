"""The `switchboard` command: serve, db upgrade, staff, chat, demo seed."""

from __future__ import annotations

import asyncio
import atexit
import gc
import getpass
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import click

from bot.cli.help_format import WholeHelpGroup
from bot.cli.settings_errors import load_settings, warn_unknown_settings
from bot.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from bot.cli.demo_identity import TerminalIdentity
    from crm_store import Database

T = TypeVar("T")


def _fail_clearly(build: Callable[[], T]) -> T:
    """Turn start-up errors a user can fix (settings, schema) into one clear line."""
    from sqlalchemy.exc import OperationalError

    try:
        return build()
    except _user_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise click.ClickException(f"cannot reach the database: {reason}") from exc


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors a user can fix. The NLU and knowledge errors are looked up only when
    their package is loaded (it could not have raised otherwise): importing them would
    load scikit-learn and the encoder's stack, seconds a `staff create` does not need."""
    from crm_store.errors import StoreError

    found: list[type[Exception]] = [StoreError]
    for module, name in (("nlu.errors", "NluError"), ("knowledge.errors", "KnowledgeError")):
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


def _settings() -> Settings:
    return load_settings()


# A port the system can listen on. A plain int let --port 99999 through: the address
# lookup wraps it (to 34463), so the server listened there while its log and banner
# said 99999, where nothing answered.
PORT = click.IntRange(1, 65535)


# At exit the interpreter's last full collection walked everything a command loaded (the
# encoder, the NLU model, the spelling dictionary): seconds of a finished command's time.
# Frozen first, it is left to the process's end. Files are closed by their `with` blocks
# and the logs by logging's own exit handler, not by the collector.
atexit.register(gc.freeze)


@click.group(cls=WholeHelpGroup)
@click.version_option(package_name="switchboard", message="switchboard %(version)s")
def main() -> None:
    """Switchboard: an omnichannel support bot with its own CRM store."""


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="address to listen on; 0.0.0.0 for every interface (`make run`: HOST=)",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=PORT,
    help="port to listen on (`make run`: PORT=)",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="server processes sharing the port (PostgreSQL only; README 'Scaling out')",
)
def serve(host: str, port: int, workers: int) -> None:
    """Run the server (web chat, webhooks, staff API).

    On SQLite it applies migrations first. The demo page signs demo customers in only
    with SWITCHBOARD_DEMO__ENABLED=true (what `make run` sets).
    """
    _can_listen(host, port)  # before the app's imports: those take seconds
    import uvicorn

    from bot.app import create_app
    from bot.logs import configure_logging

    settings = load_settings(warn_unknown=False)
    configure_logging(settings.log.level, settings.log.format)
    warn_unknown_settings()  # in the configured log format, once (not per process)
    if workers > 1:
        from bot.cli.processes import serve_processes

        serve_processes(settings, host, port, workers)
        return
    app = _fail_clearly(lambda: create_app(settings))
    freeze_loaded(app)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    # uvicorn re-raises SIGTERM after its graceful shutdown, which would end the process
    # with status 143; a completed clean shutdown is a success, so exit 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("switchboard").info(
        started_line(settings.environment, shown, port, settings.public_base_url)
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.delivery.shutdown_grace_seconds) + 5,
    )


def freeze_loaded(app: FastAPI) -> FastAPI:
    """Leave what start-up loaded to the process's end. The encoder, the NLU model and
    the spelling dictionary are about 900,000 objects that live as long as the server: a
    full collection walked them in 0.4 s with every thread stopped (measured), and the
    interpreter's last one at exit for over 2 s. Only a server's command does this: an
    app built and dropped in the same process (the tests) must stay collectable. Start-up's
    own garbage is collected first, or it would be kept for the process's life; what is
    frozen must not later become garbage in a cycle, which would never be freed: a
    knowledge base version replaced at a re-ingest must be freed by reference counting
    (knowledge/loaded_version.py holds no cycle today)."""
    gc.collect()
    gc.freeze()
    return app


def started_line(
    environment: str, shown: str, port: int, public_base_url: str | None = None
) -> str:
    """What the server says it is at when it starts. The demo page at / exists in
    development only: in production the customer-facing part is the widget script a shop
    embeds on its own pages (a production banner pointing at / led to a 404). With
    SWITCHBOARD_PUBLIC_BASE_URL set, that is the address given: behind a load balancer
    the process's own port is not one browsers reach, and a script tag copied from the
    banner pointed every visitor at one process, past the load balancer."""
    base = public_base_url.rstrip("/") if public_base_url else f"http://{shown}:{port}"
    chat = (
        f"open {base}/ to chat with the bot"
        if environment == "development"
        else f"embed {base}/widget.js in your site's pages for the chat"
    )
    return (
        f"Switchboard: {chat} (API docs at /docs, staff dashboard at /staff/: "
        f"`switchboard staff create` prints a token to sign in). Ctrl+C stops it."
    )


def _can_listen(host: str, port: int, holder: str = "another switchboard serve") -> None:
    """Refuse at once when the address cannot be listened on (a port in use, often by
    another `switchboard serve`; an address not on this machine). Otherwise uvicorn finds
    out only after the app has started, some twenty seconds of loading models and
    running start-up jobs against the store later, and says so in a log line. `holder`:
    what most often holds the port already."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} on {host} is in use ({holder}?): stop it or pick another with --port"
            ) from exc
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc


@main.group()
def db() -> None:
    """The CRM store's database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations up to the newest."""
    from crm_store import upgrade

    settings = _settings()
    before, after = _fail_clearly(lambda: upgrade(settings.database_url))
    if before == after:
        click.echo(f"database is up to date (migration {after})")
    else:
        # An operator's record of what this run changed, e.g. before restoring a backup.
        click.echo(f"database upgraded from migration {before or 'none (empty)'} to {after}")


@main.group(short_help="Staff users and the shop's system account.")
def staff() -> None:
    """Staff users (agents, sales, marketers, admins) and the shop's system account."""


def _name_option(*, required: bool, help_text: str) -> Callable[[T], T]:
    """`--name`, a person's name: spacing collapsed, 1 to 100 characters."""
    return click.option(
        "--name",
        required=required,
        default=None,
        callback=lambda _ctx, _param, value: _person_name(value),
        help=help_text,
    )


@staff.command("create")
@_name_option(
    required=True,
    help_text="the name customers and colleagues see (a handoff's agent, a lead's owner)",
)
@click.option(
    "--email",
    required=True,
    callback=lambda _ctx, _param, value: _staff_email(value),
    help="their sign-in and the key of `staff new-token`, `deactivate` and `list`",
)
@click.option(
    "--role",
    required=True,
    # crm_store.models.staff.STAFF_ROLES, written out so `--help` starts without
    # importing the store (tests/bot/test_orders_api.py keeps the two equal).
    type=click.Choice(["agent", "sales", "marketing", "admin", "shop"]),
    help="shop: a system account for the shop's backend, which may only record orders",
)
@click.option("--slack-user-id", default=None, help="Slack user id, e.g. U012AB3CD")
def staff_create(name: str, email: str, role: str, slack_user_id: str | None) -> None:
    """Create a staff user and print its API token (shown once, on the last line)."""
    from sqlalchemy.exc import IntegrityError

    from crm_store.staff import create_staff

    with _staff_store() as database:
        try:
            with database.transaction() as session:
                record, token = create_staff(
                    session, name=name, email=email, role=role, slack_user_id=slack_user_id
                )
        except IntegrityError as exc:
            raise click.ClickException(
                "a staff user with that email or Slack user id exists already "
                "(`switchboard staff new-token EMAIL` gives them a new token)"
            ) from exc
        where = _database_shown(database)
    click.echo(f"created staff user {record.id} ({record.role}) {record.email}", err=True)
    click.echo(where, err=True)
    click.echo("API token (shown once; keep it somewhere safe):", err=True)
    click.echo(token)


@staff.command("new-token")
@click.argument("email")
def staff_new_token(email: str) -> None:
    """Give a staff user a new API token (printed once, on the last line). The old token
    and every dashboard session signed in with it stop working at once."""
    from crm_store.staff import give_new_token

    with _staff_store() as database:
        record, token = _fail_clearly(lambda: _in_transaction(database, give_new_token, email))
        where = _database_shown(database)
    click.echo(
        f"new token for staff user {record.id} ({record.role}) {record.email}: "
        "the old token and its dashboard sessions no longer work",
        err=True,
    )
    click.echo(where, err=True)
    click.echo("API token (shown once; keep it somewhere safe):", err=True)
    click.echo(token)


@staff.command("deactivate")
@click.argument("email")
def staff_deactivate(email: str) -> None:
    """Deactivate a staff user: their token and dashboard sessions stop working at once.
    Their tickets, leads and history stay, with their name."""
    from crm_store.staff import deactivate_staff

    with _staff_store() as database:
        record, changed = _fail_clearly(lambda: _in_transaction(database, deactivate_staff, email))
    who = f"staff user {record.id} ({record.role}) {record.email}"
    if not changed:
        click.echo(f"{who} was deactivated already: nothing done")
        return
    click.echo(f"deactivated {who}: their token and dashboard sessions no longer work")


@staff.command("list")
def staff_list() -> None:
    """Every staff user: email, role, active or deactivated, name (never tokens)."""
    from crm_store.staff import all_staff

    with _staff_store() as database:
        members = _fail_clearly(lambda: _in_transaction(database, all_staff))
    if not members:
        click.echo("no staff users yet: `switchboard staff create` adds one")
        return
    width = max(len(member.email) for member in members)
    for member in members:
        state = "active" if member.active else "deactivated"
        click.echo(f"{member.email:<{width}}  {member.role:<9}  {state:<11}  {member.name}")


def _staff_email(value: str) -> str:
    """An email address or a usage error: a staff user is found by it (`new-token`,
    `deactivate`, Slack's `users.info` match), so a typo would make an account nobody
    can reach. Reserved test domains (`sam@acme.test`, as the README writes) pass."""
    from email_validator import EmailNotValidError, validate_email

    email = value.strip()
    try:
        validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise click.BadParameter(f"{value!r} is not an email address: {exc}") from exc
    return email


@contextmanager
def _staff_store() -> Iterator[Database]:
    from bot.wiring.database import open_database

    settings = _settings()
    database = _fail_clearly(lambda: open_database(settings))
    try:
        yield database
    finally:
        database.dispose()


def _database_shown(database: Database) -> str:
    """Which database a token was written to: a token made in a store the server does
    not use (SWITCHBOARD_DATABASE__URL set for the server only) is refused there as
    "invalid token", with nothing to say why."""
    url = database.url.render_as_string(hide_password=True)
    return f"in the database {url}: the server must use this one for the token to work"


def _in_transaction(database: Database, work: Callable[..., T], *args: object) -> T:
    with database.transaction() as session:
        return work(session, *args)


@main.command(short_help="Talk to the bot in this terminal.")
@_name_option(
    required=False,
    help_text="who you are to the bot; each name is its own customer, with its own history",
)
@click.option(
    "--as",
    "as_email",
    default=None,
    metavar="EMAIL",
    help="development only: chat as a seeded demo customer (e.g. ada@example.com), verified",
)
def chat(name: str | None, as_email: str | None) -> None:
    """Talk to the bot in this terminal, through the same engine and store as the server."""
    from bot.cli.terminal_chat import run_terminal_chat
    from channels.messages import ContactProfile

    if name is not None and as_email is not None:
        raise click.UsageError("give --name or --as, not both: --as speaks with the demo's name")
    settings = _settings()
    address = terminal_address(getpass.getuser(), settings, name)
    profile = ContactProfile(name=name)
    if as_email is not None:
        identity = _demo_identity(settings, as_email)
        address, profile = identity.address, identity.profile
    _fail_clearly(
        lambda: asyncio.run(
            run_terminal_chat(
                settings, address=address, profile=profile, lines=sys.stdin, out=sys.stdout
            )
        )
    )


# A person's name; it becomes part of the terminal's address (identities.address holds
# 320 characters, and the data dir's path shares them).
_MAX_NAME = 100


def _person_name(value: str | None) -> str | None:
    if value is None:
        return None
    name = " ".join(value.split())
    if not name or len(name) > _MAX_NAME:
        raise click.BadParameter(f"give a name of 1 to {_MAX_NAME} characters")
    return name


def terminal_address(user: str, settings: Settings, name: str | None) -> str:
    """The terminal's channel address: this login on this data dir, and with `--name`
    one address per name, case and spacing aside ("bob builder" is "Bob  Builder").

    Decided: a name is a person, not a new label on one terminal customer. Someone trying
    the bot as "Ada" and then as "Bob" expects Bob to be greeted as Bob and to start
    with no history, not to carry on Ada's conversation, orders and memory under a new
    name; coming back as "Ada" finds Ada again. Without `--name` the address is the one
    `chat` always used, so an existing terminal history stays where it was."""
    address = f"{user}@{settings.data_dir.resolve()}"
    return address if name is None else f"{address} as {name.casefold()}"


def _demo_identity(settings: Settings, email: str) -> TerminalIdentity:
    """The verified demo identity `chat --as` speaks with, or a clear refusal."""
    from bot.cli.demo_identity import (
        NotADemoIdentity,
        demo_identity,
        refuse_in_production,
        refuse_other_emails,
    )
    from bot.wiring.database import open_database

    try:
        refuse_in_production(settings)  # before touching any database
        refuse_other_emails(email)
        database = _fail_clearly(lambda: open_database(settings))
        try:
            return demo_identity(settings, email, database)
        finally:
            database.dispose()
    except NotADemoIdentity as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def demo() -> None:
    """The fictional demo data set."""


@demo.command("seed")
@click.option(
    "--if-empty",
    is_flag=True,
    help="seed only a store without accounts, customers or orders (what `make run` does)",
)
@click.option("--print-tokens", is_flag=True, help="print the demo staff users' API tokens")
def demo_seed(if_empty: bool, print_tokens: bool) -> None:
    """Fill the store with demo accounts, customers, orders, tickets and leads (once)."""
    from bot.wiring.database import open_database
    from demo.seed import DEMO_CUSTOMERS, seed_demo

    settings = _settings()
    database = _fail_clearly(lambda: open_database(settings))
    try:
        with database.transaction() as session:
            outcome = seed_demo(session, if_empty=if_empty)
        if outcome.seeded:  # the dashboard's figures, so a fresh `make run` shows them
            refitted = _refit_analytics(database)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        database.dispose()
    if not outcome.seeded:
        click.echo(f"demo seed: nothing done, {outcome.reason}", err=True)
        return
    counts = ", ".join(f"{n} {what}" for what, n in outcome.counts.items())
    click.echo(f"demo seed: {counts}", err=True)
    click.echo(f"analytics refit: {refitted}", err=True)
    for customer in DEMO_CUSTOMERS:
        click.echo(f"  {customer.name} <{customer.email}>: {customer.story}", err=True)
    if print_tokens:
        for token in outcome.tokens:
            click.echo(f"{token.email} {token.role} {token.token}")
    else:
        click.echo(
            "  demo staff API tokens are not shown (--print-tokens shows them when seeding; "
            "`switchboard staff create` makes one of your own)",
            err=True,
        )


def _refit_analytics(database: Database) -> str:
    """`switchboard analytics refit` with its defaults; what it did, in a line."""
    from analytics.lead_scores import score_leads
    from analytics.refit import refit_customers

    customers = refit_customers(database)
    leads = score_leads(database)
    value = (
        f"lifetime value fitted (fit {customers.fit_id})"
        if customers.fit_id is not None
        else f"no lifetime-value fit ({customers.not_fitted})"
    )
    return f"{customers.customers} customers, {value}, {leads.scored} open leads scored"


def _add_layer_commands() -> None:
    from bot.cli.actions import actions
    from bot.cli.analytics import analytics
    from bot.cli.campaigns import campaigns
    from bot.cli.check import check
    from bot.cli.deliveries import deliveries
    from bot.cli.kb import kb
    from bot.cli.nlu import nlu
    from bot.cli.privacy import privacy

    main.add_command(actions)
    main.add_command(analytics)
    main.add_command(campaigns)
    main.add_command(check)
    main.add_command(deliveries)
    main.add_command(kb)
    main.add_command(nlu)
    main.add_command(privacy)


_add_layer_commands()
